"""Fixtures of the fault tests: one PostgreSQL cluster of their own for the session with a
loaded template database, a fresh copy of it per test, an SMTP server, a Redis of their own.

They need Debian's PostgreSQL server binaries and redis-server: skipped with the reason when
those are missing on a developer's machine, failed in CI (CI=true), where they must be there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from tests.faults.harness import (
    REPO,
    SECRET_KEY,
    App,
    PgCluster,
    RedisServer,
    SmtpServer,
    app_env,
    missing_tools,
)

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TEMPLATE = "caunoi_faults_template"
_databases = count(1)


@pytest.fixture(scope="session")
def fault_tools() -> None:
    missing = missing_tools()
    if missing:
        message = "fault tests need " + ", ".join(missing)
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def cluster(fault_tools: None) -> Iterator[tuple[PgCluster, dict[str, Any]]]:
    """A PostgreSQL cluster of the tests' own, with a template database migrated and loaded
    with the places, code tables, demo network, a patient, tokens and sessions."""
    pg = PgCluster()
    try:
        pg.init()
        pg.start()
        pg.sql("postgres", f"CREATE DATABASE {TEMPLATE}")
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("REDIS_URL", "REDIS_PREFIX", "DJANGO_ALLOW_ASYNC_UNSAFE")
        }
        env.update(
            DJANGO_SETTINGS_MODULE="caunoi.config.settings",
            DATABASE_URL=pg.url(TEMPLATE),
            SECRET_KEY=SECRET_KEY,
            CAUNOI_DATA_DIR=str(pg.root / "prepare"),
        )
        done = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("prepare.py"))],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        people = json.loads(done.stdout.strip().splitlines()[-1])
        yield pg, people
    finally:
        pg.close()


@pytest.fixture
def database(cluster: tuple[PgCluster, dict[str, Any]]) -> tuple[PgCluster, str]:
    """A copy of the loaded template for this test (CREATE DATABASE … TEMPLATE is a file copy)."""
    pg, _people = cluster
    name = f"caunoi_faults_{next(_databases)}"
    pg.sql("postgres", f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    # The copy carries the template's sequence pages, with values the template had already
    # written ahead to the WAL; until the next checkpoint, the copy's own nextval() calls would
    # not be logged, and a crash would hand out ids again (duplicate keys after recovery).
    # A checkpoint makes the first nextval() of each sequence log itself, as in a database
    # that was not just copied.
    pg.sql("postgres", "CHECKPOINT")
    return pg, name


@pytest.fixture
def people(cluster: tuple[PgCluster, dict[str, Any]]) -> dict[str, Any]:
    return cluster[1]


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis(fault_tools: None) -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.close()


@pytest.fixture
def start_app(database: tuple[PgCluster, str], smtp: SmtpServer, tmp_path: Path) -> Iterator[Any]:
    """Start ``caunoi serve --with-worker`` on this test's database; stopped after the test,
    its log printed if the test failed."""
    pg, name = database
    apps: list[App] = []

    def start(**env: str) -> App:
        app = App(
            tmp_path, app_env(root=tmp_path, database_url=pg.url(name), smtp_port=smtp.port, **env)
        )
        apps.append(app)
        app.start()
        return app

    yield start
    for app in apps:
        app.stop()
        # Shown by pytest only when the test failed.
        print(f"--- {app.log.name} (last 4000 characters)\n{app.log_text()[-4000:]}")
