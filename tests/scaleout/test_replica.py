"""Dashboards and exports read from a PostgreSQL streaming replica (``DATABASE_REPLICA_URL``);
writes, and reads of what one just wrote, stay on the primary.

The test starts its own primary (initdb) and a standby copied from it with ``pg_basebackup -R``,
on free ports, from Debian's binaries; an app server uses both. While the standby's replay is
paused, a consultation sent through the server lands on the primary and is readable at once,
but the province's figures (API and CSV export) still show the replica's older count.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.scaleout.postgres import Cluster, postgres_bindir, wait_replayed
from tests.scaleout.servers import REPO, AppServer, Browser, api, server_env, wait_for

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
DATABASE = "caunoi"


@pytest.fixture(scope="module")
def replicated(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Cluster, Cluster, AppServer, dict[str, Any]]]:
    if postgres_bindir() is None:
        message = "needs PostgreSQL's server binaries (/usr/lib/postgresql/*/bin)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    root = tmp_path_factory.mktemp("replica")
    primary, standby = Cluster("primary"), Cluster("standby")
    server: AppServer | None = None
    try:
        primary.init()
        primary.start()
        primary.sql("postgres", f"CREATE DATABASE {DATABASE}")
        env = server_env(root, DATABASE_URL=primary.url(DATABASE))
        done = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("prepare_primary.py"))],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        facts = json.loads(done.stdout.strip().splitlines()[-1])
        standby.standby_of(primary)
        standby.start()
        assert standby.sql(DATABASE, "SELECT pg_is_in_recovery()") == [(True,)]
        server = AppServer(root, {**env, "DATABASE_REPLICA_URL": standby.url(DATABASE)}, "server")
        server.start()
        yield primary, standby, server, facts
    finally:
        if server is not None:
            server.stop()
        standby.close()
        primary.close()


def _month() -> str:
    return f"{datetime.now(ZoneInfo('Asia/Ho_Chi_Minh')):%Y-%m}"


def test_dashboards_read_the_replica_and_writes_go_to_the_primary(replicated):
    primary, standby, server, facts = replicated
    place = f"place={facts['province']}&period={_month()}"

    def figure() -> Any:
        """Consultations sent from the province this month, as the indicator API gives it."""
        status, body = api(
            "GET",
            f"{server.base}/api/indicators/consults_submitted/values?{place}",
            token=facts["officer_token"],
        )
        assert status == 200, body
        return body["total"]["value"]

    officer = Browser()
    officer.sign_in(server.base, "officer")

    def exported() -> str:
        """This month's count in the dashboard's CSV export of the trend table."""
        status, _url, text = officer.request(
            "GET", f"{server.base}/monitoring/?{place}&export=csv&table=trend"
        )
        assert status == 200, text
        rows = {row[0]: row[1] for row in csv.reader(io.StringIO(text.lstrip("\ufeff")))}
        return rows[_month()]

    # Each read brings the facts up to date on the primary (the test settings' maximum age is
    # 0), then reads them from the standby once it has replayed that.
    wait_for(lambda: figure() == facts["consults"], "the replica to show the five consultations")
    assert exported() == str(facts["consults"])

    standby.sql(DATABASE, "SELECT pg_wal_replay_pause()")
    wait_for(
        lambda: standby.sql(DATABASE, "SELECT pg_get_wal_replay_pause_state()") == [("paused",)],
        "the standby's replay to pause",
    )
    # A write goes to the primary (the standby is read-only), and the writer reads it back at
    # once: a consultation's own page is not served from the replica.
    status, sent = api(
        "POST",
        f"{server.base}/api/consults",
        {
            "patient": facts["patient"],
            "specialty": "internal-medicine",
            "reason": "Ho kéo dài",
            "question": "Có cần chụp phổi không?",
        },
        token=facts["worker_token"],
    )
    assert status == 201, sent
    status, read_back = api(
        "GET", f"{server.base}/api/consults/{sent['id']}", token=facts["worker_token"]
    )
    assert status == 200, read_back
    assert read_back["reason"] == "Ho kéo dài"

    # The dashboard's figures come from the replica, which has not replayed the new one ...
    assert figure() == facts["consults"]
    assert exported() == str(facts["consults"])
    # ... although the primary's facts, refreshed by that very read, have it.
    count = "SELECT count(*) FROM monitoring_consultfact"
    assert primary.sql(DATABASE, count) == [(facts["consults"] + 1,)]
    assert standby.sql(DATABASE, count) == [(facts["consults"],)]

    standby.sql(DATABASE, "SELECT pg_wal_replay_resume()")
    wait_replayed(primary, standby, DATABASE)
    assert figure() == facts["consults"] + 1
    assert exported() == str(facts["consults"] + 1)

    # A standby that is down is not an error page: the figures come from the primary.
    standby.stop()
    assert figure() == facts["consults"] + 1
