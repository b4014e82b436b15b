from __future__ import annotations

import ctypes
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

log = logging.getLogger("caunoi.serve")
PR_SET_PDEATHSIG = 1
# Largest websocket message a browser may send (WebRTC signalling, chat lines).
WS_MAX_SIZE = 256 * 1024


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


def _end_with_parent() -> None:
    """In a server started by ``caunoi serve``, before it runs: on Linux, SIGTERM when
    ``caunoi serve`` dies, even of a SIGKILL, so that no orphaned server keeps the ports."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def gunicorn_command(*, host: str, port: int, workers: int, threads: int) -> list[str]:
    """Pages and the API under gunicorn: gthread workers, so a sync view runs in the thread that
    took the request, which keeps its database connection from one request to the next."""
    return [
        sys.executable, "-m", "gunicorn", "caunoi.config.wsgi:application",
        "--bind", f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "--worker-class", "gthread",
        "--workers", str(workers),
        "--threads", str(threads),
        # Whom to believe about the scheme (X-Forwarded-Proto) is Django's decision, from
        # TRUSTED_PROXY_COUNT, as for the client's address: gunicorn believes nobody.
        "--forwarded-allow-ips", "",
        # Several `caunoi serve` on one machine (tests, a second site) must not share the
        # control socket in $HOME.
        "--no-control-socket",
        "--access-logfile", "-",
        "--log-level", "info",
    ]  # fmt: skip


def uvicorn_command(*, host: str, port: int, app: str, workers: int = 1) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", app,
        "--host", host,
        "--port", str(port),
        "--workers", str(workers),
        # The client's address is taken in one place, from TRUSTED_PROXY_COUNT
        # (caunoi/core/client_address.py); uvicorn's own rewriting would believe any
        # X-Forwarded-For sent from 127.0.0.1.
        "--no-proxy-headers",
        "--ws-max-size", str(WS_MAX_SIZE),
        "--lifespan", "off",
        "--log-level", "info",
    ]  # fmt: skip


class Command(BaseCommand):
    help = (
        "Serve Cầu Nối; Ctrl-C stops. With REDIS_URL: pages and the API through gunicorn on "
        "--port, websockets through uvicorn on --ws-port, as in production. Without it (the "
        "embedded default, whose in-memory channel layer lives in one process): everything "
        "through uvicorn on --port."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--ws-port",
            type=int,
            default=None,
            help="port of the websocket server when split (default: --port + 1)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="server processes: gunicorn's when split (default 2), uvicorn's otherwise (1)",
        )
        parser.add_argument(
            "--threads", type=int, default=4, help="threads per gunicorn process (split)"
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--split",
            action="store_true",
            help="gunicorn for HTTP and uvicorn for websockets (the default with REDIS_URL)",
        )
        mode.add_argument(
            "--single",
            action="store_true",
            help="one uvicorn for everything (the default without REDIS_URL)",
        )
        parser.add_argument(
            "--with-worker",
            action="store_true",
            help="Also run the background task worker (as `make demo` does), restarted if it dies.",
        )
        parser.add_argument(
            "--with-janus",
            action="store_true",
            help="Also start a Janus (the SFU of larger sessions) when Debian's janus is installed "
            "and JANUS_URL is not set (as `make demo` does); without it every call is a mesh.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        split = options["split"] or (bool(settings.REDIS_URL) and not options["single"])
        if split and not settings.REDIS_URL:
            raise CommandError(
                "--split needs REDIS_URL: without Redis the live updates travel through an "
                "in-memory channel layer, which cannot carry a push made by the page server to "
                "a websocket held by another process."
            )
        if not settings.REDIS_URL and (options["workers"] or 1) > 1:
            raise CommandError(
                "--workers above 1 needs REDIS_URL: without Redis each process would have its "
                "own in-memory channel layer and cache, and a push made in one would not reach "
                "a page connected to another."
            )
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
        janus = self._start_janus(options) if options["with_janus"] else None
        # uvicorn handles SIGTERM itself, then raises it again once it has stopped; with the
        # default action the process would end there, before `finally` stops the worker.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        try:
            if split:
                self._serve_split(options, supervisor)
            else:
                self._serve_single(options, supervisor)
        finally:
            if supervisor is not None:
                supervisor.stop()
            if janus is not None and janus.poll() is None:
                janus.send_signal(signal.SIGTERM)
                janus.wait(timeout=15)

    def _start_janus(self, options: dict[str, Any]) -> subprocess.Popen[bytes] | None:
        """A Janus of our own beside the platform (``caunoi janus``), with fresh secrets given
        to it and to the servers (settings here, the environment for the processes)."""
        if settings.JANUS_URL:
            return None  # one is configured: it is used
        if shutil.which("janus") is None:
            self.stdout.write(
                self.style.WARNING(
                    "Janus is not installed: every video call runs peer to peer (at most 6 "
                    "people). `apt install janus` for larger sessions (README)."
                )
            )
            return None
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        values = {
            "JANUS_URL": f"http://127.0.0.1:{port}/janus",
            "JANUS_TOKEN_SECRET": secrets.token_hex(16),
            "JANUS_ADMIN_KEY": secrets.token_hex(16),
            "JANUS_EVENTS_SECRET": secrets.token_hex(16),
            # Recordings (with consent): Janus writes here, the task worker converts them.
            "JANUS_RECORDINGS_DIR": settings.JANUS_RECORDINGS_DIR
            or str(settings.DATA_DIR / "janus-recordings"),
        }
        Path(values["JANUS_RECORDINGS_DIR"]).mkdir(parents=True, exist_ok=True)
        for name, value in values.items():
            setattr(settings, name, value)
            os.environ[name] = value
        events = f"http://127.0.0.1:{options['port']}/video/janus/events/"
        janus = subprocess.Popen(  # noqa: S603 -- our interpreter, our arguments
            [sys.executable, "-m", "caunoi.cli", "janus", "--events-url", events],
            env=dict(os.environ),
            preexec_fn=_end_with_parent,
        )
        self.stdout.write(
            self.style.SUCCESS(f"Janus (the SFU of larger sessions) at {values['JANUS_URL']}")
        )
        return janus

    def _serve_single(self, options: dict[str, Any], supervisor: WorkerSupervisor | None) -> None:
        import uvicorn

        if supervisor is not None:
            supervisor.start()
        self.stdout.write(
            self.style.SUCCESS(
                f"Cầu Nối is serving at http://{options['host']}:{options['port']}/ "
                "(pages, API and websockets through uvicorn; Ctrl-C stops)"
            )
        )
        uvicorn.run(
            "caunoi.config.asgi:application",
            host=options["host"],
            port=options["port"],
            workers=options["workers"] or 1,
            log_level="info",
            # See uvicorn_command.
            proxy_headers=False,
            ws_max_size=WS_MAX_SIZE,
        )

    def _serve_split(self, options: dict[str, Any], supervisor: WorkerSupervisor | None) -> None:
        host, port = options["host"], options["port"]
        ws_port = options["ws_port"] or port + 1
        if ws_port == port:
            raise CommandError("--ws-port must differ from --port.")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get(
                "DJANGO_SETTINGS_MODULE", "caunoi.config.settings"
            ),
        }
        # The pages open their websocket on this host at the websocket server's port, unless
        # told otherwise (LIVE_WS_URL="" behind a proxy that serves both on one origin).
        env.setdefault("LIVE_WS_URL", f":{ws_port}")
        commands = {
            "gunicorn": gunicorn_command(
                host=host, port=port, workers=options["workers"] or 2, threads=options["threads"]
            ),
            "uvicorn": uvicorn_command(
                host=host, port=ws_port, app="caunoi.config.asgi:websocket_application"
            ),
        }
        servers: dict[str, subprocess.Popen[bytes]] = {}
        try:
            for name, command in commands.items():
                # Started before any thread of ours (the worker's supervisor): preexec_fn is
                # safe only in a process that has one thread.
                servers[name] = subprocess.Popen(  # noqa: S603 -- our interpreter, our arguments
                    command, env=env, preexec_fn=_end_with_parent
                )
            if supervisor is not None:
                supervisor.start()
            self.stdout.write(
                self.style.SUCCESS(
                    f"Cầu Nối is serving at http://{host}:{port}/ (pages and API through "
                    f"gunicorn; websockets through uvicorn on port {ws_port}; Ctrl-C stops)"
                )
            )
            # Either server ending ends both: whatever runs `caunoi serve` (systemd, a shell)
            # sees it stop and can start it again, instead of half a site answering.
            while True:
                for name, process in servers.items():
                    code = process.poll()
                    if code is not None:
                        log.warning("%s exited (%s); stopping.", name, code)
                        raise SystemExit(1)
                time.sleep(0.5)
        finally:
            for process in servers.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in servers.values():
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
