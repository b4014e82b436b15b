"""The Redis cache answers misses while Redis is unreachable, skips it for a few seconds after a
failure, and logs the outage once; ``Outage`` is the memory behind that."""

from __future__ import annotations

import logging
import socket

import pytest
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from redis.exceptions import ConnectionError as RedisConnectionError

from caunoi.core.cache import RedisCache
from caunoi.core.outage import Outage


@pytest.fixture
def down_cache():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return RedisCache(
        f"redis://127.0.0.1:{port}/0",
        {"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}},
    )


def test_unreachable_redis_reads_as_misses_and_skips_writes(down_cache):
    down_cache.outage.retry_after = 0  # every call really goes to the closed port

    assert down_cache.get("k") is None
    assert down_cache.get("k", "fallback") == "fallback"
    assert down_cache.add("k", 1) is False
    assert down_cache.set("k", 1) is None
    assert down_cache.touch("k") is False
    assert down_cache.delete("k") is False
    assert down_cache.has_key("k") is False
    assert down_cache.get_many(["a", "b"]) == {}
    assert down_cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    assert down_cache.delete_many(["a"]) is None
    assert down_cache.get_or_set("k", 5) == 5
    assert down_cache.clear() is None
    # A counter that cannot be read is a missing key, which callers of Django's caches handle.
    with pytest.raises(ValueError, match="not found"):
        down_cache.incr("k")
    with pytest.raises(ValueError, match="not found"):
        down_cache.decr("k")
    assert down_cache.outage.down
    assert down_cache.outage.last_error.startswith("ConnectionError: Error 111")


def test_after_a_failure_calls_skip_redis_until_the_retry_time(down_cache, monkeypatch):
    calls = []
    real_get = DjangoRedisCache.get

    def counting_get(self, *args, **kwargs):
        calls.append(args[0])
        return real_get(self, *args, **kwargs)

    monkeypatch.setattr(DjangoRedisCache, "get", counting_get)

    assert down_cache.get("first") is None
    assert down_cache.get("second") is None
    assert down_cache.get("third") is None

    assert calls == ["first"]


def test_cache_works_again_when_redis_answers_and_says_so(monkeypatch, caplog):
    cache = RedisCache("redis://127.0.0.1:1/0", {})
    cache.outage.retry_after = 0
    answers = iter([RedisConnectionError("refused"), "stored"])

    def flaky_get(self, *args, **kwargs):
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(DjangoRedisCache, "get", flaky_get)

    with caplog.at_level(logging.WARNING, logger="caunoi.outage"):
        assert cache.get("k") is None
        assert cache.get("k") == "stored"

    assert not cache.outage.down
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == (
        "Redis cache unreachable (ConnectionError: refused); skipping it, trying again every 0 s"
    )
    assert messages[1].startswith("Redis cache reachable again after ")
    assert len(messages) == 2


def test_outage_lets_one_call_through_per_retry_window_and_logs_once(monkeypatch, caplog):
    clock = [100.0]
    monkeypatch.setattr("caunoi.core.outage.time.monotonic", lambda: clock[0])
    outage = Outage("Redis", retry_after=5)

    assert outage.allow()
    with caplog.at_level(logging.WARNING, logger="caunoi.outage"):
        outage.failed(RedisConnectionError("refused"))
        assert not outage.allow()
        clock[0] = 104.9
        assert not outage.allow()
        clock[0] = 105.0
        assert outage.allow()  # the one try of this window…
        assert not outage.allow()  # …and no other
        outage.failed(RedisConnectionError("refused again"))
        clock[0] = 112.0
        assert outage.allow()
        outage.succeeded()
        assert outage.allow()
        assert outage.allow()

    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "Redis unreachable (ConnectionError: refused); skipping it, trying again every 5 s",
        "Redis reachable again after 12.0 s",
    ]
    assert outage.last_error == "ConnectionError: refused again"
