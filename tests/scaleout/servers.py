"""Real app servers and a browser-like HTTP client for the scale-out tests.

``AppServer`` is the one place that knows how an app server is started (``caunoi serve`` in a
process group of its own); when serving changes (gunicorn for HTTP beside uvicorn for the
websockets), only ``AppServer.start`` and ``ws_base`` change. ``Browser`` keeps cookies the way
a browser does, signs in through the real login page and opens the page websocket.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import connections

from tests.faults.harness import free_port, wait_for

REPO = Path(__file__).resolve().parents[2]
# The fixture network's personas sign in with this password (test settings' fast hasher).
PASSWORD = "caunoi-demo"
SECRET_KEY = "scale-out-tests-" + "s" * 50


def database_url(alias: str = "default") -> str:
    """The URL of the database this test process uses (the test database, once created)."""
    s = connections[alias].settings_dict
    user = urllib.parse.quote(s["USER"] or "", safe="")
    password = ":" + urllib.parse.quote(s["PASSWORD"], safe="") if s["PASSWORD"] else ""
    return f"postgres://{user}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def server_env(root: Path, **extra: str) -> dict[str, str]:
    """The environment of an app server: the test settings (the personas' password hasher),
    the shared secret key, its own data directory; ``extra`` names the database and Redis."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PYTEST")
        and k not in ("DATABASE_URL", "REDIS_URL", "REDIS_PREFIX", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="caunoi.config.test_settings",
        SECRET_KEY=SECRET_KEY,
        CAUNOI_DATA_DIR=str(root),
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(REPO),  # this checkout's caunoi, also for a script run by its path
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


class AppServer:
    """One app server process; its output goes to a log file, printed by ``stop``."""

    def __init__(self, root: Path, env: dict[str, str], name: str) -> None:
        self.port = free_port()
        # With Redis, ``caunoi serve`` serves pages (gunicorn) and websockets (uvicorn) on two
        # ports; without it, both on one.
        self.ws_port = free_port() if env.get("REDIS_URL") else self.port
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.log = root / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.ws_port}"

    def start(self) -> None:
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "caunoi.cli", "serve",
                 "--host", "127.0.0.1", "--port", str(self.port),
                 *(["--ws-port", str(self.ws_port)] if self.ws_port != self.port else [])],
                cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        wait_for(self._answers, f"{self.base} to answer (log: {self.log})", 60)

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"server exited: {self.log.read_text('utf-8', 'replace')}")
        try:
            with urllib.request.urlopen(self.base + "/accounts/login/", timeout=5) as response:  # noqa: S310
                return bool(response.status == 200)
        except (OSError, urllib.error.HTTPError):
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if self.log.exists():  # shown by pytest when the test failed
            print(f"--- {self.log.name}\n{self.log.read_text('utf-8', 'replace')[-4000:]}")


class Browser:
    """Cookies kept across servers, as one browser talking to a load-balanced site."""

    def __init__(self) -> None:
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def cookie(self, name: str) -> str:
        return next((c.value or "" for c in self.cookies if c.name == name), "")

    def request(
        self,
        method: str,
        url: str,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str, str]:
        """(status, final URL after redirects, body)."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.url, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, url, exc.read().decode("utf-8", "replace")

    def sign_in(self, base: str, username: str) -> None:
        status, _url, page = self.request("GET", base + "/accounts/login/")
        assert status == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token is not None
        status, url, _page = self.request(
            "POST",
            base + "/accounts/login/",
            {"csrfmiddlewaretoken": token[1], "username": username, "password": PASSWORD},
            headers={"Referer": base + "/accounts/login/"},
        )
        assert status == 200, (status, url)
        assert "/accounts/login/" not in url, "the password was refused"

    def websocket(self, server: AppServer) -> Any:
        """The page websocket (/ws/live/) on ``server`` with this browser's session."""
        from websockets.sync.client import connect

        return connect(
            server.ws_base + "/ws/live/",
            additional_headers={
                "Cookie": f"sessionid={self.cookie('sessionid')}",
                "Origin": server.base,
            },
            open_timeout=10,
        )


def next_frame(ws: Any, match: Callable[[dict[str, Any]], bool], seconds: float = 15) -> Any:
    """The first frame on ``ws`` that ``match`` accepts, or None after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(TimeoutError):
            frame = json.loads(ws.recv(timeout=0.2))
            if match(frame):
                return frame
    return None


def api(
    method: str, url: str, payload: Any = None, *, token: str, timeout: float = 30
) -> tuple[int, Any]:
    """(status, JSON body or text) of an API call with a bearer token; a POST carries a fresh
    ``Idempotency-Key``."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if method == "POST":
        headers["Idempotency-Key"] = str(uuid.uuid4())
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode("utf-8", "replace")
