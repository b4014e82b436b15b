"""The pieces fault tests break and watch, each started by the test itself on free ports in a
temporary directory — never the machine's shared PostgreSQL or Redis:

- ``PgCluster``: a PostgreSQL cluster of its own (Debian's initdb/pg_ctl), restartable with
  ``-m immediate`` (a crash: no checkpoint, recovery from the WAL at start);
- ``RedisServer``: a redis-server of its own, stopped and started again on the same port;
- ``Inbox``: a real SMTP server (aiosmtpd) that can hold a delivery half-way;
- ``App``: the real ``caunoi serve --with-worker`` as a subprocess;
- ``api``: JSON over HTTP with a bearer token; ``LiveClient``: a websocket that reconnects and
  subscribes again the way the pages' live.js does.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import glob
import json
import logging
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

REPO = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server") or "redis-server"
SECRET_KEY = "fault-tests-" + "k" * 50


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(
    condition: Callable[[], Any], what: str, seconds: float = 30, pause: float = 0.05
) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {seconds} s waiting for: {what}")
        time.sleep(pause)


def postgres_bindir() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    return Path(found[-1]).parent if found else None


def missing_tools() -> list[str]:
    missing = []
    if postgres_bindir() is None:
        missing.append("PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb)")
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    return missing


class PgCluster:
    """PostgreSQL of the test's own. initdb refuses to run as root, so as root it runs as the
    ``postgres`` OS user (CI runs as root), in a directory that user owns."""

    def __init__(self) -> None:
        bindir = postgres_bindir()
        assert bindir is not None
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="caunoi-faults-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")

    def _run(self, program: str, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / program), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)

    def init(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
            "--encoding=UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                  "-o", options, "start")  # fmt: skip

    def restart_immediate(self) -> None:
        """Stop without a checkpoint (as a crash does), then start again: the server replays its
        WAL, and every connection of the app is cut."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-m", "immediate",
                  "-w", "-t", "60", "restart")  # fmt: skip

    def crash(self) -> None:
        """Stop at once, as a crash does (``pg_ctl stop -m immediate``); ``start`` brings it back."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.crash()
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, database: str, query: str, params: Any = None) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []


class RedisServer:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="caunoi-faults-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.root),
             "--logfile", str(self.root / "redis.log")],
        )  # fmt: skip
        wait_for(self.answers, "redis-server answering PING", 15)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class Inbox:
    """aiosmtpd handler keeping what was delivered. ``hold_next()`` makes the next delivery stop
    after RCPT TO — before any message text — until ``release()``: a sender killed while held
    has delivered nothing."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []
        self.held = threading.Event()
        self._hold = False
        self._release = threading.Event()
        self._lock = threading.Lock()

    def hold_next(self) -> None:
        self._hold = True

    def release(self) -> None:
        self._release.set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self._hold:
            self._hold = False
            self.held.set()
            while not self._release.is_set():
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.messages.append(
                (list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace"))
            )
        return "250 OK"

    def to(self, address: str) -> list[str]:
        """The decoded text (subject and body) of every message delivered to ``address``."""
        with self._lock:
            raw = [text for rcpts, text in self.messages if address in rcpts]
        decoded = []
        for text in raw:
            message = email.message_from_string(text, policy=email.policy.default)
            body = message.get_body(preferencelist=("plain",))
            decoded.append(f"{message['Subject']}\n{body.get_content() if body else ''}")
        return decoded


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per SMTP command
        self.controller.start()

    def stop(self) -> None:
        self.inbox.release()
        self.controller.stop()


class App:
    """``caunoi serve --with-worker`` in a process group of its own, logging to a file."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.log = root / f"serve-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                # --single: pages and websockets on one port, in one process, also with
                # Redis (the tests count one outage warning per server process).
                [sys.executable, "-m", "caunoi.cli", "serve", "--with-worker", "--single",
                 "--port", str(self.port)],
                cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def wait_healthy(self, seconds: float = 60) -> dict[str, Any]:
        last: list[Any] = [None]

        def healthy() -> dict[str, Any] | None:
            status, body = api("GET", self.base + "/healthz", timeout=5)
            last[0] = (status, body)
            return body if status == 200 and body and body["status"] == "ok" else None

        try:
            return wait_for(healthy, f"{self.base}/healthz to say ok", seconds, pause=0.2)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; last answer: {last[0]}") from None

    def health(self) -> tuple[int, dict[str, Any] | None]:
        return api("GET", self.base + "/healthz", timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # The server stops its worker itself on SIGTERM; the group kill catches leftovers.
        os.killpg(self.process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def log_text(self) -> str:
        return self.log.read_text("utf-8", "replace") if self.log.exists() else ""


def app_env(
    *, root: Path, database_url: str, smtp_port: int, redis_url: str = "", **extra: str
) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "REDIS_PREFIX", "DJANGO_ALLOW_ASYNC_UNSAFE")
        and not k.startswith("PYTEST")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="caunoi.config.settings",
        SECRET_KEY=SECRET_KEY,
        DATABASE_URL=database_url,
        CAUNOI_DATA_DIR=str(root),
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_TIMEOUT="10",
        WORKER_HEARTBEAT_SECONDS="1",
        WORKER_HEARTBEAT_MAX_AGE="5",
        TASK_LEASE_SECONDS="4",
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    if redis_url:
        env.update(REDIS_URL=redis_url, REDIS_PREFIX=f"faults-{os.getpid()}", REDIS_TIMEOUT="1")
    env.update(extra)
    return env


def api(
    method: str,
    url: str,
    body: Any = None,
    *,
    token: str = "",
    headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> tuple[int, Any]:
    """(status, JSON body); status 0 when no HTTP answer came (connection refused, timeout)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (OSError, TimeoutError):
        return 0, None
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, None


class LiveClient(threading.Thread):
    """A page's websocket: connects with the session cookie, subscribes, and when the socket
    closes connects again after a short pause (live.js backs off from 1 s; 0.3 s here)."""

    def __init__(self, base: str, session: str, subscriptions: list[dict[str, Any]]) -> None:
        super().__init__(daemon=True)
        self.url = base.replace("http://", "ws://") + "/ws/live/"
        self.origin = base
        self.session = session
        self.subscriptions = subscriptions
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.subscribed = 0  # sockets that got through subscribing, over the client's life
        self.closed = 0
        self._stopping = threading.Event()

    def run(self) -> None:
        from websockets.sync.client import connect

        while not self._stopping.is_set():
            try:
                with connect(
                    self.url,
                    additional_headers={
                        "Cookie": f"sessionid={self.session}",
                        "Origin": self.origin,
                    },
                    open_timeout=5,
                ) as ws:
                    for subscription in self.subscriptions:
                        ws.send(json.dumps(subscription))
                    while not self._stopping.is_set():
                        try:
                            data = json.loads(ws.recv(timeout=0.2))
                        except TimeoutError:
                            continue
                        if data.get("type") == "subscribed":
                            self.subscribed += 1
                        else:
                            self.messages.put(data)
            except Exception:  # closed or refused: like the page, try again
                self.closed += 1
            self._stopping.wait(0.3)

    def next_message(self, match: Callable[[dict[str, Any]], bool], seconds: float) -> Any:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                data = self.messages.get(timeout=0.1)
            except queue.Empty:
                continue
            if match(data):
                return data
        return None

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=10)
