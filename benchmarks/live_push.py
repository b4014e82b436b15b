"""Live pushes from sync code: time the request thread spends on a consult submission's 8
pushes, and the Redis connections opened, with the old way (``async_to_sync`` per push)
beside the new one (one batch per request, sent by the process's push loop).

REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python benchmarks/live_push.py [rounds]

No database is used. Half the groups have one listener (an open page), as in production,
where a queue, a consult page or a bell is open somewhere.
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import time
import uuid
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caunoi.config.settings")
os.environ.setdefault("REDIS_PREFIX", f"caunoi-bench-{uuid.uuid4().hex[:6]}")

import django

django.setup()

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.signals import request_finished, request_started
from redis.asyncio.connection import AbstractConnection

from caunoi.notifications import live

connects = 0
_connect = AbstractConnection.connect


async def counting_connect(self: Any) -> None:
    global connects
    if self._reader is None:  # a new socket, not a connection already open
        connects += 1
    await _connect(self)


AbstractConnection.connect = counting_connect  # type: ignore[method-assign]


def groups() -> list[str]:
    consult = uuid.uuid4()
    return [f"consult.{consult}", "hub.1", "facility.2"] + [f"user.{n}" for n in range(5)]


def old_push(group: str, payload: dict[str, Any]) -> None:
    """The push of before this change, as it was: one ``async_to_sync`` per push."""
    layer = get_channel_layer()
    async_to_sync(live._send)(layer, group, {"type": "live.event", "payload": payload})


def new_request(names: list[str]) -> None:
    """A request as Django sees it: started, 8 pushes, finished (the response closed)."""
    request_started.send(sender=None)
    for name in names:
        live.push(name, {"type": "consult", "event": "submitted"})
    request_finished.send(sender=None)


def measure(label: str, rounds: int, run: Any, server: redis.Redis) -> None:
    global connects
    connects = 0
    received_before = server.info("stats")["total_connections_received"]
    times = []
    for _ in range(rounds):
        names = groups()
        started = time.perf_counter()
        run(names)
        times.append(time.perf_counter() - started)
    drain_started = time.perf_counter()
    live.flush(timeout=60)
    drained = time.perf_counter() - drain_started
    received = server.info("stats")["total_connections_received"] - received_before
    times.sort()
    print(
        f"{label}: request thread per 8 pushes p50 {statistics.median(times) * 1000:.3f} ms, "
        f"p95 {times[int(len(times) * 0.95)] * 1000:.3f} ms, "
        f"mean {statistics.fmean(times) * 1000:.3f} ms; "
        f"Redis connections opened by this process {connects} "
        f"(server's count of new connections meanwhile {received}); "
        f"left to send at the end {drained * 1000:.1f} ms"
    )


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    if "REDIS_URL" not in os.environ:
        sys.exit("Set REDIS_URL: the new path serves the Redis channel layer.")
    # Listeners that never read fill up: channels_redis says so for every send.
    logging.getLogger("channels_redis").setLevel(logging.WARNING)
    server = redis.Redis.from_url(os.environ["REDIS_URL"])
    layer = get_channel_layer()

    async def listen() -> None:
        for name in ("hub.1", "user.0", "user.2", "user.4"):
            await layer.group_add(name, await layer.new_channel())

    async_to_sync(listen)()
    measure(
        "before (async_to_sync per push)",
        rounds,
        lambda names: [old_push(n, {}) for n in names],
        server,
    )
    measure("after (one batch per request)", rounds, new_request, server)
    print(live.push_counts())


if __name__ == "__main__":
    main()
