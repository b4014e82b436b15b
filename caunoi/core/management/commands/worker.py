from __future__ import annotations

import ctypes
import os
import signal
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS
from django.utils.crypto import get_random_string

from caunoi.core.taskworker import ResilientWorker

PR_SET_PDEATHSIG = 1


def _end_with_parent() -> None:
    """Started by ``caunoi serve --with-worker`` (CAUNOI_WORKER_PARENT): on Linux, ask the
    kernel for SIGTERM when that server process dies, even of a SIGKILL, so that no orphaned
    worker runs on; and if it is already gone, stop now."""
    parent = os.environ.get("CAUNOI_WORKER_PARENT", "")
    if not parent.isdigit():
        return
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != int(parent):
        raise SystemExit(0)


class Command(BaseCommand):
    help = (
        "Run the background task worker (deadlines, notifications, monitoring refresh). It "
        "survives database restarts, beats a heartbeat for /healthz and takes over the tasks "
        "of workers that died."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="Run ready tasks, then exit.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")

    def handle(self, *args: Any, **options: Any) -> None:
        _end_with_parent()
        worker = ResilientWorker(
            queue_names=["*"],
            interval=options["interval"],
            batch=options["batch"],
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=not options["batch"],
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        # Ctrl-C / SIGTERM: finish the running task, then stop (twice: stop now). The previous
        # handlers come back afterwards, for a worker run inside another process (tests).
        signals = [signal.SIGINT, signal.SIGTERM, signal.SIGQUIT]
        previous = {sig: signal.getsignal(sig) for sig in signals}
        worker.configure_signals()
        try:
            worker.run()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
