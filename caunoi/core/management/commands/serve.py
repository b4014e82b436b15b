from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve Cầu Nối over ASGI (pages, API, websockets) with uvicorn; Ctrl-C stops."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
        parser.add_argument(
            "--with-worker",
            action="store_true",
            help="Also run the background task worker (as `make demo` does).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn

        task_worker = None
        if options["with_worker"]:
            task_worker = subprocess.Popen(
                [sys.executable, "-m", "caunoi.cli", "worker"],
                env={
                    **os.environ,
                    "DJANGO_SETTINGS_MODULE": os.environ.get(
                        "DJANGO_SETTINGS_MODULE", "caunoi.config.settings"
                    ),
                },
            )
            self.stdout.write(f"Task worker started (pid {task_worker.pid}).")
        self.stdout.write(
            self.style.SUCCESS(
                f"Cầu Nối is serving at http://{options['host']}:{options['port']}/ (Ctrl-C stops)"
            )
        )
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
            if task_worker is not None and task_worker.poll() is None:
                task_worker.send_signal(signal.SIGTERM)
                try:
                    task_worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    task_worker.kill()
