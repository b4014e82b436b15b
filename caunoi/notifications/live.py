"""Pushing to open pages over the websocket (Channels groups).

A push is an extra: the change it announces is already committed, and a page that misses it
catches up when it reconnects. So ``push`` never raises and never waits: the request goes on
while the push is sent.

- **After commit.** Inside a transaction, a push is held until it commits
  (``transaction.on_commit``); a rolled-back transaction, or savepoint, pushes nothing.
- **Batched.** The pushes of one request (of one task run in the worker, of one
  ``with live.batch():`` block) are collected and handed over together when it ends, once.
  Elsewhere (a shell, a management command) each push is handed over on its own.
- **One loop per process.** With Redis (channels_redis), a hand-over puts the batch on the
  queue of one long-lived event loop in a daemon thread (``pushloop.PushLoop``), which keeps
  one connection pool for the process. The in-memory layer of the embedded default keeps its
  queues on the event loop of the ASGI server that serves the sockets and cannot be reached
  from another loop: it is sent to as before (on the running loop, else through
  ``async_to_sync``, which runs it on the server's loop when called from a view's thread).
- **Redis down.** While the channel layer is unreachable, pushes are skipped at once, one is
  tried every few seconds, and the log says once that live updates are paused and once that
  they are back.

``flush()`` waits for the pushes handed over so far (tests, a command that exits);
at exit the process gives them a few seconds.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.tasks.signals import task_finished, task_started

from caunoi.accounts.models import User
from caunoi.core.outage import Outage
from caunoi.notifications.pushloop import PushLoop

log = logging.getLogger("caunoi.live")
outage = Outage("Channel layer (live updates)")
# Pushes scheduled on a running loop, kept referenced until done (the loop holds tasks weakly).
_scheduled: set[asyncio.Task[None]] = set()


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def consult_group(public_id: object) -> str:
    return f"consult.{public_id}"


def hub_group(hub_id: int) -> str:
    return f"hub.{hub_id}"


# Who may follow one record's updates, by kind ("consult"): the apps above notifications that
# own those records register their answer in their AppConfig.ready() (``consults`` does), so
# this app imports none of them.
_followable: dict[str, Callable[[User | AnonymousUser, str], bool]] = {}


def follow_register(kind: str, may_follow: Callable[[User | AnonymousUser, str], bool]) -> None:
    _followable[kind] = may_follow


def may_follow(kind: str, user: User | AnonymousUser, public_id: str) -> bool:
    check = _followable.get(kind)
    return check is not None and check(user, public_id)


# --- sending ------------------------------------------------------------------------------------

# One push: the group, the message, and whether it was let through while Redis was down (the
# one try every few seconds that finds out whether it is back).
_Item = tuple[str, dict[str, Any], bool]


class _Counts:
    """What happened to pushes in this process; ``push_counts()`` reads it (tests, benchmarks)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.values = {"handoffs": 0, "sent": 0, "skipped": 0, "dropped": 0}

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.values[name] += n

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.values)


_counts = _Counts()


def push_counts() -> dict[str, int]:
    """Counters since the process started: ``handoffs`` (batches handed over to be sent),
    ``sent``, ``skipped`` (Redis down) and ``dropped`` (too many batches waiting)."""
    return _counts.snapshot()


async def _send(layer: Any, group: str, message: dict[str, Any]) -> None:
    try:
        async with asyncio.timeout(settings.REDIS_TIMEOUT):
            await layer.group_send(group, message)
    except Exception as exc:
        outage.failed(exc)
    else:
        outage.succeeded()


async def _send_batch(layer: Any, items: list[_Item]) -> None:
    """Send ``items`` in order; after a failure the rest are skipped, not each waited for."""
    probe = any(tried_while_down for _group, _message, tried_while_down in items)
    if outage.down and not probe:
        # Redis went away after these were let through: don't wait for it once per batch.
        _counts.add("skipped", len(items))
        return
    for n, (group, message, _probe) in enumerate(items):
        await _send(layer, group, message)
        if outage.down:
            _counts.add("skipped", len(items) - n)
            return
        _counts.add("sent")


async def _send_loop_batch(batch: tuple[Any, list[_Item]]) -> None:
    await _send_batch(*batch)


_loop = PushLoop(_send_loop_batch)


def _hand_off(items: list[_Item]) -> None:
    """Give ``items`` to whatever sends them, in one go; never waits for the channel layer."""
    if not items:
        return
    layer = get_channel_layer()
    if layer is None:
        return
    _counts.add("handoffs")
    if not isinstance(layer, InMemoryChannelLayer):
        if not _loop.submit((layer, items)):
            _counts.add("dropped", len(items))
        return
    # The in-memory layer: its queues belong to the loop of the server holding the sockets.
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is not None:
        # Called from code running inside an event loop's thread: schedule, don't block.
        scheduled = running.create_task(_send_batch(layer, items))
        _scheduled.add(scheduled)
        scheduled.add_done_callback(_scheduled.discard)
        return
    async_to_sync(_send_batch)(layer, items)


def flush(timeout: float = 5.0) -> bool:
    """Wait until the pushes handed over so far were sent (or skipped); False if that took
    longer than ``timeout`` seconds. Pushes still held in an open batch are not handed over."""
    return _loop.flush(timeout)


# --- collecting: after commit, one batch per request -----------------------------------------


@dataclass
class _Batch:
    owner: str  # "request", "task" or "block"
    items: list[_Item] = field(default_factory=list)


# A context variable, not a thread-local: under ASGI a request's signals and view run in
# threads that share the request's context, not always the same thread.
_open: ContextVar[_Batch | None] = ContextVar("caunoi_live_batch", default=None)


def push(group: str, payload: dict[str, Any]) -> None:
    """Send ``payload`` to every socket in ``group`` once the current transaction commits, with
    the other pushes of this request; a failure never breaks the caller."""
    try:
        if not outage.allow():
            _counts.add("skipped")
            return
        item = (group, {"type": "live.event", "payload": payload}, outage.down)
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(partial(_collect, item), robust=True)
        else:
            # Not ``on_commit`` here: outside a block it would open a database connection (and
            # refuse in async code) only to find there is nothing to wait for.
            _collect(item)
    except Exception:
        log.exception("Live update to %s not sent", group)


def _collect(item: _Item) -> None:
    batch = _open.get()
    if batch is not None:
        batch.items.append(item)
    else:
        _hand_off([item])


def _begin(owner: str) -> None:
    batch = _open.get()
    if batch is not None:
        if batch.owner != owner:
            return  # inside a ``batch()`` block (a test's request): its pushes join the block's
        # The previous request in this context never ended (it cannot happen with a WSGI
        # server, which always closes the response): send what it left rather than hold it.
        _hand_off(batch.items)
    _open.set(_Batch(owner))


def _end(owner: str) -> None:
    batch = _open.get()
    if batch is None or batch.owner != owner:
        return
    _open.set(None)
    _hand_off(batch.items)


@contextmanager
def batch() -> Iterator[None]:
    """Collect the pushes made (and committed) inside the block and hand them over together at
    its end; inside a request or another block, join that one."""
    if _open.get() is not None:
        yield
        return
    token = _open.set(_Batch("block"))
    try:
        yield
    finally:
        collected = _open.get()
        _open.reset(token)
        if collected is not None:
            _hand_off(collected.items)


def batch_discard() -> None:
    """Forget the open batch of this context without sending it. For tests: a test client
    response that is never closed (a streaming export) leaves its request's batch open, which
    the next test's request would otherwise hand over with its own."""
    _open.set(None)


def _receiver(do: Callable[[str], None], owner: str) -> Callable[..., None]:
    # A receiver that raised would break the response's close (request_finished is not sent
    # robustly), so these log instead.
    def receive(**_kwargs: Any) -> None:
        try:
            do(owner)
        except Exception:
            log.exception("Live updates: batch of a %s not handled", owner)

    return receive


# A request (WSGI or ASGI, the test client too) and a task run by the worker are one batch each.
request_started.connect(
    _receiver(_begin, "request"), weak=False, dispatch_uid="caunoi.live.request_started"
)
request_finished.connect(
    _receiver(_end, "request"), weak=False, dispatch_uid="caunoi.live.request_finished"
)
task_started.connect(_receiver(_begin, "task"), weak=False, dispatch_uid="caunoi.live.task_started")
task_finished.connect(_receiver(_end, "task"), weak=False, dispatch_uid="caunoi.live.task_finished")
