from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

log = logging.getLogger("caunoi.serve")


class WorkerSupervisor:
    """Runs the task worker as a child process and starts it again whenever it exits.

    A worker can die of things it cannot catch (killed by the kernel for memory, a crash in a C
    library); without it deadlines, escalations and emails stop while pages look fine. Restarts
    back off from 1 s, doubling to 30 s, and return to 1 s once a worker has run for a minute.
    """

    MIN_DELAY = 1.0
    MAX_DELAY = 30.0
    STEADY = 60.0

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.command = command
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="caunoi-worker-supervisor")
        self._thread.daemon = True

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        delay = self.MIN_DELAY
        while True:
            with self._lock:
                if self._stopping.is_set():
                    return
                # Our own interpreter and command line, not input from anywhere else.
                process = self.process = subprocess.Popen(self.command, env=self.env)  # noqa: S603
            log.info("Task worker started (pid %d).", process.pid)
            started = time.monotonic()
            code = process.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - started > self.STEADY:
                delay = self.MIN_DELAY
            how = f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited ({code})"
            log.warning(
                "Task worker (pid %d) %s; starting it again in %g s.", process.pid, how, delay
            )
            if self._stopping.wait(delay):
                return
            self.restarts += 1
            delay = min(delay * 2, self.MAX_DELAY)

    def stop(self, timeout: float = 10) -> None:
        """Stop restarting; ask the worker to finish its task and stop (SIGTERM), kill it
        after ``timeout`` seconds (a task cut off so is taken up again after its lease)."""
        with self._lock:
            self._stopping.set()
            process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._thread.is_alive():
            self._thread.join(timeout=5)


class Command(BaseCommand):
    help = "Serve Cầu Nối over ASGI (pages, API, websockets) with uvicorn; Ctrl-C stops."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
        parser.add_argument(
            "--with-worker",
            action="store_true",
            help="Also run the background task worker (as `make demo` does), restarted if it dies.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn

        supervisor = None
        if options["with_worker"]:
            supervisor = WorkerSupervisor(
                [sys.executable, "-m", "caunoi.cli", "worker"],
                {
                    **os.environ,
                    "DJANGO_SETTINGS_MODULE": os.environ.get(
                        "DJANGO_SETTINGS_MODULE", "caunoi.config.settings"
                    ),
                    # The worker ends when this process does, even if it is killed.
                    "CAUNOI_WORKER_PARENT": str(os.getpid()),
                },
            )
            supervisor.start()
        self.stdout.write(
            self.style.SUCCESS(
                f"Cầu Nối is serving at http://{options['host']}:{options['port']}/ (Ctrl-C stops)"
            )
        )
        # uvicorn handles SIGTERM itself, then raises it again once it has stopped; with the
        # default action the process would end there, before `finally` stops the worker.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        try:
            uvicorn.run(
                "caunoi.config.asgi:application",
                host=options["host"],
                port=options["port"],
                workers=options["workers"],
                log_level="info",
                # The client's address is taken in one place, from TRUSTED_PROXY_COUNT
                # (caunoi/core/client_address.py); uvicorn's own rewriting would believe any
                # X-Forwarded-For sent from 127.0.0.1.
                proxy_headers=False,
                ws_max_size=256 * 1024,
            )
        finally:
            if supervisor is not None:
                supervisor.stop()
