"""Django's Redis cache, answering "not cached" instead of raising while Redis is unreachable.

The cache holds nothing that cannot be lost (who has a page open; throttling marks): when Redis
is down, a read is a miss, a write is skipped and a request carries on, instead of answering
500 after its work was saved. Django's own ``RedisCache`` has no option for that (django-redis
has ``IGNORE_EXCEPTIONS``, but logs a stack trace per call or nothing at all); this subclass
changes nothing else. While Redis is down, calls are skipped at once and retried every few
seconds (``caunoi.core.outage``), so a request does not wait for a connection timeout per call.

A use that needs to know (a lock, a counter that must not be lost) does not belong in this
cache.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from caunoi.core.outage import Outage

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        # Not the URL: it may carry a password.
        self.outage = Outage("Redis cache")

    def _call(self, name: str, fallback: Any, *args: Any) -> Any:
        if not self.outage.allow():
            return fallback
        try:
            result = getattr(super(), name)(*args)
        except UNREACHABLE as exc:
            self.outage.failed(exc)
            return fallback
        self.outage.succeeded()
        return result

    def add(
        self, key: Any, value: Any, timeout: float | None = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        return bool(self._call("add", False, key, value, timeout, version))

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._call("get", default, key, default, version)

    def set(
        self, key: Any, value: Any, timeout: float | None = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        self._call("set", None, key, value, timeout, version)

    def touch(self, key: Any, timeout: float | None = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return bool(self._call("touch", False, key, timeout, version))

    def delete(self, key: Any, version: Any = None) -> bool:
        return bool(self._call("delete", False, key, version))

    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        return dict(self._call("get_many", {}, keys, version))

    def has_key(self, key: Any, version: Any = None) -> bool:
        return bool(self._call("has_key", False, key, version))

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        missing = object()
        result = self._call("incr", missing, key, delta, version)
        if result is missing:
            # What Django's caches raise for a key that is not there: callers handle it.
            raise ValueError(f"Key '{key}' not found (the cache is unreachable).")
        return int(result)

    def set_many(
        self, data: dict[Any, Any], timeout: float | None = DEFAULT_TIMEOUT, version: Any = None
    ) -> list[Any]:
        # The keys that could not be stored: all of them.
        return list(self._call("set_many", list(data), data, timeout, version))

    def delete_many(self, keys: Any, version: Any = None) -> None:
        self._call("delete_many", None, keys, version)

    def clear(self) -> None:
        self._call("clear", None)
