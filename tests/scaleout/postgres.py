"""A PostgreSQL primary and a streaming standby of the test's own, and PgBouncer, from Debian's
binaries, on free ports in temporary directories — never the machine's shared PostgreSQL.

initdb, postgres and pgbouncer refuse to run as root; as root (CI) they run as the
``postgres`` OS user, in directories that user owns.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from tests.scaleout.servers import free_port, wait_for

PGBOUNCER = "/usr/sbin/pgbouncer"


def postgres_bindir() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    return Path(found[-1]).parent if found else None


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _own_dir(prefix: str) -> Path:
    root = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    return root


class Cluster:
    """One PostgreSQL server: a primary (``init``) or a standby (``standby_of``)."""

    def __init__(self, name: str) -> None:
        bindir = postgres_bindir()
        assert bindir is not None, "no PostgreSQL server binaries"
        self.bindir = bindir
        self.root = _own_dir(f"caunoi-{name}-")
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = free_port()
        self.running = False

    def run(self, program: str, *args: str) -> subprocess.CompletedProcess[str]:
        command = _as_server_user([str(self.bindir / program), *args])
        return subprocess.run(command, check=True, capture_output=True, text=True, timeout=180)

    def init(self) -> None:
        """A fresh primary that streams its WAL to standbys connecting from 127.0.0.1."""
        self.run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                 "--encoding=UTF8", "--locale=C", "--no-sync")  # fmt: skip
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write("wal_level = replica\nmax_wal_senders = 4\nfsync = off\n")
        with open(self.data / "pg_hba.conf", "a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 trust\n")

    def standby_of(self, primary: Cluster) -> None:
        """A copy of ``primary`` (pg_basebackup) that follows it (-R writes primary_conninfo
        and standby.signal), read-only with hot_standby."""
        self.run("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                 "-D", str(self.data), "-R", "-X", "stream", "-c", "fast")  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                 "-o", options, "start")  # fmt: skip
        self.running = True

    def stop(self) -> None:
        if self.running:
            with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
                self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            self.running = False

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, database: str, query: str, params: Any = None) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []


def wait_replayed(primary: Cluster, standby: Cluster, database: str) -> None:
    """Until the standby has replayed everything the primary has written so far."""
    [(target,)] = primary.sql(database, "SELECT pg_current_wal_lsn()::text")
    wait_for(
        lambda: standby.sql(database, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,))[
            0
        ][0],
        f"the standby to replay up to {target}",
    )


class Bouncer:
    """PgBouncer in transaction mode in front of one PostgreSQL server."""

    def __init__(self, *, host: str, port: int, pool_size: int = 4) -> None:
        self.root = _own_dir("caunoi-pgbouncer-")
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        config = self.root / "pgbouncer.ini"
        config.write_text(
            f"""[databases]
* = host={host} port={port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {self.root / "userlist.txt"}
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 500
ignore_startup_parameters = extra_float_digits,options
logfile = {self.root / "pgbouncer.log"}
"""
        )
        # trust still looks the user up in the auth file.
        (self.root / "userlist.txt").write_text('"postgres" ""\n')
        if os.geteuid() == 0:
            for path in self.root.iterdir():
                shutil.chown(path, "postgres", "postgres")
        self.config = config

    def start(self) -> None:
        self.process = subprocess.Popen(_as_server_user([PGBOUNCER, "-q", str(self.config)]))
        wait_for(self._answers, "pgbouncer to accept connections", 15)

    def _answers(self) -> bool:
        import psycopg

        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"pgbouncer exited: {self.log_text()}")
        try:
            psycopg.connect(self.url("postgres"), connect_timeout=2).close()
        except psycopg.OperationalError:
            return False
        return True

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def log_text(self) -> str:
        log = self.root / "pgbouncer.log"
        return log.read_text("utf-8", "replace") if log.exists() else ""

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)
