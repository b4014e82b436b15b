"""The busiest pages under load, beside a bare Django view in the same run (issue 13).

    createdb caunoi_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1/caunoi_bench REDIS_URL=redis://127.0.0.1:6379/0
    .venv/bin/caunoi migrate && .venv/bin/caunoi seed && .venv/bin/caunoi seed --consults 100000
    .venv/bin/caunoi collectstatic --no-input
    .venv/bin/python benchmarks/serving.py                     # both set-ups, 8/32/64 connections
    BENCH_MODES=wsgi BENCH_CONNECTIONS=64 BENCH_DURATION=15s .venv/bin/python benchmarks/serving.py

Set-ups (``BENCH_MODES``), each started with ``caunoi serve``: ``asgi`` is every request through
uvicorn with a new database connection per request (``--single``, as shipped before issue 13);
``wsgi-new`` is HTTP through gunicorn (gthread) still with a new connection per request, to tell
the two changes apart; ``wsgi`` is gunicorn with kept connections (``DB_CONN_MAX_AGE=60``), as
``caunoi serve`` with Redis and deploy/ now run it.
Each is started with ``BENCH_WORKERS`` processes (2) on this machine and driven by wrk (Debian
package) for ``BENCH_DURATION`` per page and connection count. For every page: requests/s,
p50/p95/p99, errors (connection errors and non-2xx), the app's and PostgreSQL's CPU per request
(from /proc: the server's process tree and every ``postgres`` process, so run it on a machine
doing nothing else), and the largest resident set of one server process afterwards.

`bench_site`/`bench_urls` add `/_bench/bare` (one row, a few bytes): the ceiling the serving
set-up leaves, measured in the same run.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caunoi.config.settings")

import django

django.setup()

from consults_load import REPORT, SUBMIT, demo_targets, session_cookie  # type: ignore[import-not-found]
from django.db import connection
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.consults.models import Consultation

MODES = os.environ.get("BENCH_MODES", "asgi,wsgi-new,wsgi").split(",")
CONNECTIONS = [int(c) for c in os.environ.get("BENCH_CONNECTIONS", "8,32,64").split(",")]
WORKERS = os.environ.get("BENCH_WORKERS", "2")
THREADS = os.environ.get("BENCH_THREADS", "4")
DURATION = os.environ.get("BENCH_DURATION", "10s")
ONLY = [p for p in os.environ.get("BENCH_PAGES", "").split(",") if p]
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Page:
    name: str
    path: str
    headers: dict[str, str]
    script: str = ""
    body: str | None = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def processes() -> dict[int, tuple[str, int, int, int]]:
    """pid → (command name, parent pid, CPU ticks used, resident pages) for every process."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        # utime + stime, and cutime + cstime: the CPU of children it has reaped (PostgreSQL's
        # postmaster reaps the backend of every closed connection).
        cpu = sum(int(f) for f in fields[11:15])
        found[int(entry.name)] = (name, int(fields[1]), cpu, int(fields[21]))
    return found


def tree(root: int, table: dict[int, tuple[str, int, int, int]]) -> set[int]:
    members = {root}
    grew = True
    while grew:
        grew = False
        for pid, (_name, parent, _cpu, _rss) in table.items():
            if parent in members and pid not in members:
                members.add(pid)
                grew = True
    return members & set(table)


def cpu_seconds(root: int) -> tuple[float, float]:
    """CPU seconds used so far by the server's process tree and by PostgreSQL's processes (a
    backend that has exited is counted through the postmaster, which reaped it)."""
    table = processes()
    app = sum(table[pid][2] for pid in tree(root, table))
    db = sum(cpu for name, _parent, cpu, _rss in table.values() if name == "postgres")
    return app / TICK, db / TICK


def largest_rss_mb(root: int) -> float:
    table = processes()
    return max(table[pid][3] for pid in tree(root, table)) * PAGE / 2**20


def wrk(url: str, page: Page, connections: int, duration: str = DURATION) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        if page.body is not None:
            fh.write(f"wrk.method = 'POST'\nwrk.body = [[{page.body}]]\n")
        fh.write(page.script + REPORT)
        lua = fh.name
    args = ["wrk", "-t2", f"-c{connections}", f"-d{duration}", "--timeout", "10s", "-s", lua]
    for name, value in page.headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    match = re.search(r"RESULT (.*)", out)
    assert match, out
    result = {k: float(v) for k, v in (pair.split("=") for pair in match.group(1).split())}
    result["requests"] = result["rps"] * float(duration.rstrip("s"))
    return result


def start(mode: str, port: int) -> subprocess.Popen[bytes]:
    """``caunoi serve`` as an operator runs it, with the benchmark's settings (one more URL)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench_site",
        "PYTHONPATH": str(HERE),
        "DB_CONN_MAX_AGE": "0" if mode in ("asgi", "wsgi-new") else "60",
    }
    if mode not in ("asgi", "wsgi-new", "wsgi"):
        sys.exit(f"unknown mode {mode!r} (asgi, wsgi-new, wsgi)")
    command = [
        sys.executable, "-m", "caunoi.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
        "--ws-port", str(free_port()), "--workers", WORKERS,
        *(["--single"] if mode == "asgi" else ["--split", "--threads", THREADS]),
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/_bench/bare", timeout=2)  # noqa: S310
            break
        except (OSError, urllib.error.HTTPError):
            time.sleep(0.1)
    else:
        server.terminate()
        sys.exit(f"{mode} server did not start")
    return server


def pages() -> list[Page]:
    specialist = User.objects.get(username="specialist")
    worker = User.objects.get(username="worker")
    officer = User.objects.get(username="officer")
    consult, token, body = demo_targets(worker)
    as_specialist = {"Cookie": session_cookie(specialist)}
    as_worker = {"Cookie": session_cookie(worker)}
    bearer = {"Authorization": f"Bearer {token}"}
    month = f"{timezone.localdate():%Y-%m}"
    search = urllib.parse.quote("tram y te xa")
    return [
        Page("bare Django view", "/_bench/bare", {}),
        Page("specialist queue", "/consults/?queue=hub", as_specialist),
        Page("consult page", consult.get_absolute_url(), as_specialist),
        Page("worker home", "/", as_worker),
        Page("directory search", f"/network/facilities/?q={search}", as_worker),
        Page(
            "province dashboard",
            f"/monitoring/?place=8&period={month}",
            {"Cookie": session_cookie(officer)},
        ),
        Page("GET /api/consults", "/api/consults", bearer),
        Page(
            "POST /api/consults",
            "/api/consults",
            {**bearer, "Content-Type": "application/json"},
            SUBMIT,
            body,
        ),
    ]


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Run against PostgreSQL with the scale seed (see the docstring).")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    total = Consultation.objects.count()
    chosen = [p for p in pages() if not ONLY or p.name in ONLY or p.path == "/_bench/bare"]
    print(f"consultations in the database: {total:,}; {os.cpu_count()} cores; {DURATION} per run")
    for mode in MODES:
        port = free_port()
        server = start(mode, port)
        try:
            for connections in CONNECTIONS:
                print(f"\n{mode}, {WORKERS} processes, {connections} connections\n")
                print(
                    "| page | req/s | ×bare | p50 ms | p95 ms | p99 ms | errors "
                    "| app CPU ms/req | PG CPU ms/req | RSS MB |"
                )
                print("|---|---|---|---|---|---|---|---|---|---|")
                bare = None
                for page in chosen:
                    url = f"http://127.0.0.1:{port}{page.path}"
                    wrk(url, page, connections, "2s")  # warm caches and connections first
                    app0, db0 = cpu_seconds(server.pid)
                    r = wrk(url, page, connections)
                    app1, db1 = cpu_seconds(server.pid)
                    n = max(r["requests"], 1)
                    bare = bare or r["rps"]
                    print(
                        f"| {page.name} | {r['rps']:.0f} | {r['rps'] / bare:.2f} | "
                        f"{r['p50']:.0f} | {r['p95']:.0f} | {r['p99']:.0f} | "
                        f"{int(r['errors'] + r['non2xx'])} | {(app1 - app0) * 1000 / n:.1f} | "
                        f"{(db1 - db0) * 1000 / n:.1f} | {largest_rss_mb(server.pid):.0f} |",
                        flush=True,
                    )
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"\n{Consultation.objects.count() - total:,} consultations submitted during the runs")


if __name__ == "__main__":
    main()
