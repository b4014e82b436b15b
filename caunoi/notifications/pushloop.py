"""One event loop per process, in a daemon thread, that sends live pushes for sync code.

Sync code (a WSGI request thread, the task worker) cannot await the channel layer. Running
``async_to_sync`` for each push made a new event loop every time, and since channels_redis
keeps one connection pool per loop, a new Redis connection too: ~3.6 ms and one connection
per push. A ``PushLoop`` owns one loop, started the first time something is handed to it, so
the channel layer keeps one pool (one connection while sends are sequential) for the life of
the process. ``submit`` only puts a batch on the loop's queue and returns: the caller never
waits for Redis. One consumer sends the batches in the order they were handed over, so pushes
to one group arrive in the order they were made, whichever thread made them.

Fork: gunicorn imports the app in the master and forks the workers. A thread does not survive a
fork, so the loop belongs to the process that started it (``os.getpid()``); a forked child
that pushes starts its own. At exit the pushes still queued are given a few seconds to leave.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("caunoi.live")


class _Flushed:
    """A marker put on the queue by ``flush``: set once everything before it was sent."""

    def __init__(self) -> None:
        self.done = threading.Event()


class PushLoop:
    def __init__(
        self,
        send: Callable[[Any], Awaitable[None]],
        *,
        name: str = "caunoi-live-push",
        max_pending: int = 1000,
    ) -> None:
        # ``send(batch)`` runs on the loop, one batch at a time; it must not raise.
        self._send = send
        self.name = name
        # Batches waiting, at most: while Redis answers slowly the queue must not grow
        # without bound; a push dropped here is a page that catches up when it reconnects.
        self.max_pending = max_pending
        self._lock = threading.Lock()
        self._pid = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[Any] | None = None
        self._pending = 0
        self._full = False
        self._exit_hook = False
        self.dropped = 0
        os.register_at_fork(after_in_child=self._after_fork)

    # --- the caller's side (any thread) ----------------------------------------------------

    def submit(self, batch: Any) -> bool:
        """Queue ``batch`` for sending and return at once; False if it was dropped (the queue
        is full, or the loop could not start)."""
        loop = self._running_loop()
        if loop is None:
            return False
        with self._lock:
            if self._pending >= self.max_pending:
                self.dropped += 1
                if not self._full:
                    self._full = True
                    log.warning(
                        "Live updates: %d batches waiting to be sent; dropping new ones",
                        self._pending,
                    )
                return False
            self._pending += 1
        try:
            loop.call_soon_threadsafe(self._put, batch)
        except RuntimeError:  # the loop was closed (interpreter exit)
            with self._lock:
                self._pending -= 1
            return False
        return True

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every batch submitted before this call was sent (or given up on).
        True if that happened within ``timeout`` seconds; at once if nothing was started."""
        loop = self._loop if self._pid == os.getpid() else None
        if loop is None or loop.is_closed():
            return True
        if threading.current_thread().name == self.name:
            return False  # called from a send on the loop itself: it would wait for itself
        marker = _Flushed()
        try:
            loop.call_soon_threadsafe(self._put, marker)
        except RuntimeError:
            return True
        return marker.done.wait(timeout)

    @property
    def pending(self) -> int:
        return self._pending if self._pid == os.getpid() else 0

    # --- starting, lazily, in this process ---------------------------------------------------

    def _running_loop(self) -> asyncio.AbstractEventLoop | None:
        pid = os.getpid()
        if self._pid == pid and self._loop is not None:
            return self._loop
        with self._lock:
            if self._pid != pid:
                # First use in this process, or a child forked from one that had a loop: the
                # parent's thread is not here, its loop and queue are not ours to touch.
                self._forget()
            if self._loop is None:
                try:
                    self._start()
                except RuntimeError as exc:  # no new threads (interpreter shutting down)
                    log.warning("Live updates: cannot start the push loop (%s)", exc)
                    return None
                self._pid = pid
            return self._loop

    def _after_fork(self) -> None:
        # A thread of the parent may have held the lock at the fork; the child has no loop.
        self._lock = threading.Lock()
        self._forget()
        self._pid = 0

    def _forget(self) -> None:
        self._loop = None
        self._queue = None
        self._pending = 0
        self._full = False

    def _start(self) -> None:
        loop = asyncio.new_event_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(started.set)
            # Kept referenced: the loop holds its tasks weakly.
            consumer = loop.create_task(self._consume(queue))
            try:
                loop.run_forever()
            finally:
                consumer.cancel()

        thread = threading.Thread(target=run, name=self.name, daemon=True)
        thread.start()
        started.wait()
        self._loop, self._queue = loop, queue
        if not self._exit_hook:
            # Registered once; in a forked child it flushes the child's own loop (or nothing).
            atexit.register(self._at_exit)
            self._exit_hook = True

    def _at_exit(self) -> None:
        if self.pending and not self.flush(timeout=5.0):
            log.warning("Live updates: %d batches not sent before exit", self.pending)

    # --- the loop's side ------------------------------------------------------------------------

    def _put(self, item: Any) -> None:
        assert self._queue is not None
        self._queue.put_nowait(item)

    async def _consume(self, queue: asyncio.Queue[Any]) -> None:
        while True:
            item = await queue.get()
            if isinstance(item, _Flushed):
                item.done.set()
                continue
            try:
                await self._send(item)
            except Exception:  # ``send`` should not raise; the loop must outlive it if it does
                log.exception("Live updates: sending a batch failed")
            finally:
                with self._lock:
                    self._pending -= 1
                    if self._full and self._pending < self.max_pending // 2:
                        self._full = False
