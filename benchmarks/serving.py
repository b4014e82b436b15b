"""The same pages under the two ways of serving them: everything through uvicorn (ASGI) with a new
PostgreSQL connection per request — what `caunoi serve` ran before issue 13 — against gunicorn's
gthread workers (WSGI) with connections kept, what `caunoi serve --split` and deploy/ run now;
and gunicorn without kept connections, to tell the two changes apart.

    createdb caunoi_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1/caunoi_bench REDIS_URL=redis://127.0.0.1:6379/0
    .venv/bin/caunoi migrate && .venv/bin/caunoi seed      # --consults N for the scale figures
    .venv/bin/python benchmarks/serving.py

Pages: the sign-in page (no database), a small API read (`GET /api/specialties` with a token:
the token, its user and one list) and the specialist's queue. Each is driven by wrk (Debian
package) for BENCH_DURATION (10s) at BENCH_CONNECTIONS (8); app CPU is the servers' processes'
user + system time (from /proc) divided by the requests served. BENCH_WORKERS (2) processes,
BENCH_THREADS (4) threads each under gunicorn.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caunoi.config.settings")

import django

django.setup()

from django.conf import settings
from django.db import connection

from caunoi.accounts.models import ApiToken, User
from caunoi.accounts.services import api_token_create

sys.path.insert(0, str(Path(__file__).resolve().parent))
from consults_load import REPORT, session_cookie

CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
DURATION = os.environ.get("BENCH_DURATION", "10s")
WORKERS = os.environ.get("BENCH_WORKERS", "2")
THREADS = os.environ.get("BENCH_THREADS", "4")
CLOCK = os.sysconf("SC_CLK_TCK")

MODES = {
    "uvicorn, everything (ASGI), new connection per request": (
        ["--single", "--workers", WORKERS],
        {"DB_CONN_MAX_AGE": "0"},
    ),
    "gunicorn gthread (WSGI), new connection per request": (
        ["--split", "--workers", WORKERS, "--threads", THREADS],
        {"DB_CONN_MAX_AGE": "0"},
    ),
    "gunicorn gthread (WSGI), kept connections": (
        ["--split", "--workers", WORKERS, "--threads", THREADS],
        {"DB_CONN_MAX_AGE": "60"},
    ),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU of ``root`` and every process below it (Linux /proc)."""
    children: dict[int, list[int]] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry.name), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        cpu[pid] = (int(fields[11]) + int(fields[12])) / CLOCK
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += cpu.get(pid, 0.0)
        todo.extend(children.get(pid, []))
    return total


def wrk(url: str, headers: dict[str, str]) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(REPORT.replace("RESULT rps", "RESULT requests=%d rps").replace(
            "summary.requests / (summary.duration / 1e6)",
            "summary.requests, summary.requests / (summary.duration / 1e6)",
        ))  # fmt: skip
        lua = fh.name
    args = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--timeout", "10s", "-s", lua]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    match = re.search(r"RESULT (.*)", out)
    assert match, out
    return {k: float(v) for k, v in (pair.split("=") for pair in match.group(1).split())}


def wait_serving(base: str) -> None:
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/accounts/login/", timeout=1)  # noqa: S310
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{base} never answered")


def main() -> None:
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        sys.exit("Run against PostgreSQL and Redis (see the docstring).")
    subprocess.run(
        [sys.executable, "-m", "caunoi.cli", "collectstatic", "--no-input", "-v0"], check=True
    )
    specialist = User.objects.get(username="specialist")
    token_row, token = api_token_create(user=specialist, name="serving benchmark", actor=None)
    cookie = session_cookie(specialist)
    pages = {
        "sign-in page": ("/accounts/login/", {}),
        "GET /api/specialties": ("/api/specialties", {"Authorization": f"Bearer {token}"}),
        "specialist queue": ("/consults/?queue=hub", {"Cookie": cookie}),
    }
    rows = []
    try:
        for mode, (args, env) in MODES.items():
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            server = subprocess.Popen(
                [sys.executable, "-m", "caunoi.cli", "serve", "--port", str(port),
                 "--ws-port", str(free_port()), *args],
                env={**os.environ, **env},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
            try:
                wait_serving(base)
                for page, (path, headers) in pages.items():
                    wrk(base + path, headers)  # warm-up: connections, caches, imports
                    before = tree_cpu_seconds(server.pid)
                    result = wrk(base + path, headers)
                    spent = tree_cpu_seconds(server.pid) - before
                    result["cpu_ms"] = 1000 * spent / max(result["requests"], 1)
                    rows.append((page, mode, result))
                    print(page, mode, result, flush=True)
            finally:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=60)
    finally:
        ApiToken.objects.filter(pk=token_row.pk).delete()
    print(
        f"\n{CONNECTIONS} connections, {DURATION} each (after a warm-up run), {WORKERS} server "
        f"processes ({THREADS} threads each under gunicorn); PostgreSQL and Redis on the machine\n"
    )
    print(
        "| page | serving | requests/s | p50 ms | p95 ms | p99 ms | errors | app CPU ms/request |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for page, mode, r in sorted(rows, key=lambda row: list(pages).index(row[0])):
        print(
            f"| {page} | {mode} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | "
            f"{r['p99']:.1f} | {int(r['errors'] + r['non2xx'])} | {r['cpu_ms']:.1f} |"
        )


if __name__ == "__main__":
    main()
