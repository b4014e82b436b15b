"""Remembering that a helper service (Redis) is down, so callers skip it instead of waiting.

Pushing to open pages and counting who is online are extras: when Redis is unreachable a
request must still answer, quickly, and the log must say so once, not print a stack trace
for every push. An ``Outage`` is that memory. After a failure it lets one call through every
``retry_after`` seconds (the others are skipped at once), logs a warning when the service
goes away and a line when it is back.
"""

from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger("caunoi.outage")


class Outage:
    def __init__(self, name: str, *, retry_after: float = 5.0) -> None:
        self.name = name
        self.retry_after = retry_after
        self.down_since: float | None = None
        self.last_error = ""
        self._next_try = 0.0
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def allow(self) -> bool:
        """May a call go to the service now? Always while it is up; once every
        ``retry_after`` seconds while it is down (that call finds out whether it is back)."""
        if self.down_since is None:
            return True
        with self._lock:
            now = time.monotonic()
            if now < self._next_try:
                return False
            self._next_try = now + self.retry_after
            return True

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            self.last_error = f"{type(exc).__name__}: {exc}"[:300]
            self._next_try = time.monotonic() + self.retry_after
            if self.down_since is not None:
                return
            self.down_since = time.monotonic()
        log.warning(
            "%s unreachable (%s); skipping it, trying again every %g s",
            self.name,
            self.last_error,
            self.retry_after,
        )

    def succeeded(self) -> None:
        if self.down_since is None:
            return
        with self._lock:
            if self.down_since is None:
                return
            lasted = time.monotonic() - self.down_since
            self.down_since = None
        log.warning("%s reachable again after %.1f s", self.name, lasted)
