"""Many short connections: PostgreSQL directly vs through PgBouncer (transaction mode).

Each "request" opens a connection, runs one small query (a user looked up by id, as every
signed-in page does first) and closes it — what a Django server with ``DB_CONN_MAX_AGE=0`` does
per request. For reference, the same query on connections kept open. Prints requests per
second and p50/p95 per mode.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/caunoi_bench \\
        .venv/bin/python benchmarks/pgbouncer.py [--threads 8] [--requests 2000]

Starts its own pgbouncer (Debian's /usr/sbin/pgbouncer; as the ``postgres`` user when run as
root) on a free port in a temporary directory, in front of DATABASE_URL's server.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import psycopg

QUERY = "SELECT id, username, is_active FROM accounts_user WHERE id = %s"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_pgbouncer(
    host: str, port: int, pool_size: int
) -> tuple[subprocess.Popen[bytes], int, Path]:
    root = Path(tempfile.mkdtemp(prefix="caunoi-bench-pgbouncer-"))
    listen = free_port()
    (root / "userlist.txt").write_text('"postgres" ""\n')
    (root / "pgbouncer.ini").write_text(
        f"[databases]\n* = host={host} port={port}\n\n[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {listen}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {root / 'userlist.txt'}\npool_mode = transaction\n"
        f"default_pool_size = {pool_size}\nmax_client_conn = 1000\n"
        "ignore_startup_parameters = extra_float_digits,options\n"
    )
    command = ["/usr/sbin/pgbouncer", "-q", str(root / "pgbouncer.ini")]
    if os.geteuid() == 0:
        for path in [root, *root.iterdir()]:
            shutil.chown(path, "postgres", "postgres")
        command = ["runuser", "-u", "postgres", "--", *command]
    process = subprocess.Popen(command)
    deadline = time.monotonic() + 10
    while True:
        try:
            psycopg.connect(
                host="127.0.0.1", port=listen, user="postgres", dbname="postgres"
            ).close()
            return process, listen, root
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def run(threads: int, requests: int, one: Callable[[], None]) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()
    per_thread = requests // threads

    def work() -> None:
        mine = []
        for _ in range(per_thread):
            started = time.perf_counter()
            one()
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return len(latencies) / (time.perf_counter() - started), latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--pool-size", type=int, default=8, help="pgbouncer's default_pool_size")
    args = parser.parse_args()
    url = urllib.parse.urlparse(os.environ["DATABASE_URL"])
    host, port, db = url.hostname or "127.0.0.1", url.port or 5432, url.path.lstrip("/")
    user = url.username or "postgres"
    [(user_id,)] = (
        psycopg.connect(os.environ["DATABASE_URL"])
        .execute("SELECT min(id) FROM accounts_user")
        .fetchall()
    )
    process, bouncer_port, root = start_pgbouncer(host, port, args.pool_size)
    try:

        def short(at_port: int) -> Callable[[], None]:
            def one() -> None:
                with psycopg.connect(host=host if at_port == port else "127.0.0.1",
                                     port=at_port, user=user, dbname=db,
                                     prepare_threshold=None) as conn:  # fmt: skip
                    conn.execute(QUERY, (user_id,)).fetchall()

            return one

        kept = threading.local()

        def on_kept() -> None:
            if not hasattr(kept, "conn"):
                kept.conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
            kept.conn.execute(QUERY, (user_id,)).fetchall()

        modes = {
            "direct, a connection per request": short(port),
            "pgbouncer, a connection per request": short(bouncer_port),
            "direct, kept connections (reference)": on_kept,
        }
        print(f"{args.threads} threads, {args.requests} requests each mode; query: {QUERY}")
        for name, one in modes.items():
            run(args.threads, min(200, args.requests), one)  # warm up
            rate, latencies = run(args.threads, args.requests, one)
            q = statistics.quantiles(latencies, n=100)
            print(f"{name:40s} {rate:8.0f} req/s   p50 {q[49] * 1000:6.2f} ms   "
                  f"p95 {q[94] * 1000:6.2f} ms")  # fmt: skip
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
