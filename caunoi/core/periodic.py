"""Work each task worker repeats every second or so, beside its tasks.

The app that owns a job registers it in its ``AppConfig.ready()`` with
``periodic_register(name, job)`` (core imports no domain app): ``audit`` chains the audit rows
written since the last run. Every `caunoi worker` process runs the registered jobs one after
the other, ``PERIODIC_SECONDS`` apart, in one thread with its own database connection, so a
long task does not hold them up; jobs must therefore be safe to run in several workers at once.
A job that fails is logged (once until it works again) and run again next time. They are not
tasks: a queued task per second per worker would fill the task table with bookkeeping.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.db import connection

log = logging.getLogger("caunoi.worker")

PERIODIC_SECONDS = 1.0
JOBS: dict[str, Callable[[], object]] = {}


def periodic_register(name: str, job: Callable[[], object]) -> None:
    JOBS[name] = job


class Periodic(threading.Thread):
    def __init__(self, *, interval: float = PERIODIC_SECONDS) -> None:
        super().__init__(name="caunoi-worker-periodic", daemon=True)
        self.interval = interval
        self.stopping = threading.Event()
        self.failing: set[str] = set()

    def run_jobs(self) -> None:
        for name, job in list(JOBS.items()):
            try:
                job()
            except Exception:
                # A broken connection must not be reused by the next run.
                connection.close()
                if name not in self.failing:
                    log.exception(
                        "Periodic job %r failed; trying again every %g s", name, self.interval
                    )
                self.failing.add(name)
            else:
                if name in self.failing:
                    log.warning("Periodic job %r works again", name)
                self.failing.discard(name)

    def run(self) -> None:
        try:
            while not self.stopping.wait(self.interval):
                self.run_jobs()
            # A last run on the way out: `caunoi worker --batch` leaves nothing waiting.
            self.run_jobs()
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopping.set()
        if self.is_alive():
            self.join(timeout=30)
