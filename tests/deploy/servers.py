"""The production front for tests: ``caunoi serve`` as a subprocess on the test database, and
Debian's nginx run as the test's user on free ports with the repository's deploy/nginx/caunoi.conf
(only its addresses, paths and certificate rewritten), everything in a temporary directory.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection

from tests.faults.harness import free_port, wait_for

REPO = Path(__file__).resolve().parents[2]
NGINX = "/usr/sbin/nginx"
OPENSSL = shutil.which("openssl") or "openssl"
SITE_CONF = REPO / "deploy" / "nginx" / "caunoi.conf"
# The address the tests' client connects from: not the 127.0.0.1 that nginx uses to reach the
# app, so an address recorded by the app can only be the client's if nginx passed it on.
CLIENT_ADDRESS = "127.0.0.2"


def database_url() -> str:
    """The test database (committed rows are visible to the servers' processes)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    assert connection.vendor == "postgresql", connection.vendor
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def server_env(root: Path, **extra: str) -> dict[str, str]:
    """The servers' environment: the test database and settings (files served from the apps,
    fast password hashing), this test's data directory, and the test process's secret key, so
    that the sessions the test signs in with are valid there."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REDIS_URL", "REDIS_PREFIX", "LIVE_WS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
        and not k.startswith("PYTEST")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="caunoi.config.test_settings",
        DATABASE_URL=database_url(),
        SECRET_KEY=settings.SECRET_KEY,
        CAUNOI_DATA_DIR=str(root),
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


class Serve:
    """``caunoi serve`` in a process group of its own, logging to a file."""

    def __init__(self, root: Path, env: dict[str, str], *args: str) -> None:
        self.port = free_port()
        self.ws_port = free_port()
        self.env = env
        self.args = args
        self.log = root / f"serve-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "caunoi.cli", "serve", "--port", str(self.port),
                 "--ws-port", str(self.ws_port), *self.args],
                cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def wait_listening(self, *ports: int) -> None:
        for port in ports:
            wait_for(lambda p=port: _answers(p), f"caunoi serve listening on {port}", 60, 0.1)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # `caunoi serve` stops its servers itself on SIGTERM; the group kill catches leftovers.
        os.killpg(self.process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def log_text(self) -> str:
        return self.log.read_text("utf-8", "replace") if self.log.exists() else ""


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _replace_once(text: str, pattern: str, replacement: str) -> str:
    """Rewrite one line of the deploy file; a line that moved or doubled fails loudly, so the
    test keeps testing the file an operator copies."""
    new, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    assert count == 1, f"deploy/nginx/caunoi.conf: expected one match of {pattern!r}, got {count}"
    return new


def render_site(
    *,
    text: str,
    http_port: int,
    https_port: int,
    app_port: int,
    ws_port: int,
    data_dir: Path,
    cert: Path,
    key: Path,
) -> str:
    text = _replace_once(text, r"^(\s*server) 127\.0\.0\.1:8000;", rf"\1 127.0.0.1:{app_port};")
    text = _replace_once(text, r"^(\s*server) 127\.0\.0\.1:8001;", rf"\1 127.0.0.1:{ws_port};")
    text = _replace_once(text, r"^(\s*listen) 80;", rf"\1 127.0.0.1:{http_port};")
    text = _replace_once(text, r"^(\s*listen) 443 ssl http2;", rf"\1 127.0.0.1:{https_port} ssl;")
    # The machine may have no IPv6; the test talks over 127.0.0.1.
    text = _replace_once(text, r"^\s*listen \[::\]:80;\n", "")
    text = _replace_once(text, r"^\s*listen \[::\]:443 ssl http2;\n", "")
    text = _replace_once(text, r"^(\s*root) /var/lib/caunoi;", rf"\1 {data_dir};")
    text = _replace_once(text, r"^(\s*ssl_certificate) \S+;", rf"\1 {cert};")
    text = _replace_once(text, r"^(\s*ssl_certificate_key) \S+;", rf"\1 {key};")
    return text


class Nginx:
    """Debian's nginx in the foreground, as the test's user, everything under ``root``."""

    def __init__(self, root: Path, *, app_port: int, ws_port: int, data_dir: Path) -> None:
        self.root = root / "nginx"
        self.root.mkdir()
        for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.root / temp).mkdir()
        self.http_port = free_port()
        self.https_port = free_port()
        cert, key = self.root / "cert.pem", self.root / "key.pem"
        subprocess.run(
            [OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        self.site = render_site(
            text=SITE_CONF.read_text(encoding="utf-8"),
            http_port=self.http_port,
            https_port=self.https_port,
            app_port=app_port,
            ws_port=ws_port,
            data_dir=data_dir,
            cert=cert,
            key=key,
        )
        (self.root / "caunoi.conf").write_text(self.site, encoding="utf-8")
        r = self.root
        # As root (CI), nginx's workers would become "nobody", who cannot read a test's files.
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
        (self.root / "nginx.conf").write_text(
            f"{user}daemon off;\nworker_processes 1;\npid {r}/nginx.pid;\n"
            f"error_log {r}/error.log info;\n"
            "events { worker_connections 256; }\n"
            "http {\n"
            "  include /etc/nginx/mime.types;\n"
            "  default_type application/octet-stream;\n"
            f"  access_log {r}/access.log;\n"
            f"  client_body_temp_path {r}/body;\n  proxy_temp_path {r}/proxy;\n"
            f"  fastcgi_temp_path {r}/fastcgi;\n  uwsgi_temp_path {r}/uwsgi;\n"
            f"  scgi_temp_path {r}/scgi;\n"
            f"  include {r}/caunoi.conf;\n"
            "}\n",
            encoding="utf-8",
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [NGINX, "-p", str(self.root), "-e", str(self.root / "error.log"),
                   "-c", str(self.root / "nginx.conf")]  # fmt: skip
        check = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, check.stderr
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        wait_for(lambda: _answers(self.https_port), "nginx listening", 20)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: workers finish, then exit
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def error_log(self) -> str:
        path = self.root / "error.log"
        return path.read_text("utf-8", "replace") if path.exists() else ""


def tls_context() -> ssl.SSLContext:
    """The test's own self-signed certificate: encryption without verification."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def https_request(
    port: int,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request to nginx over TLS, from CLIENT_ADDRESS."""
    conn = http.client.HTTPSConnection(
        "127.0.0.1", port, timeout=30, context=tls_context(), source_address=(CLIENT_ADDRESS, 0)
    )
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def client_socket(port: int) -> socket.socket:
    """A TCP connection to nginx from CLIENT_ADDRESS (for a websocket)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((CLIENT_ADDRESS, 0))
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    return sock


def nginx_missing() -> str | None:
    if not Path(NGINX).exists():
        return f"no nginx at {NGINX} (Debian package nginx)"
    if shutil.which("openssl") is None:
        return "no openssl (for the test's certificate)"
    if shutil.which("redis-server") is None:
        return "no redis-server"
    return None
