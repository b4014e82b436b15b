"""`core.periodic`: the jobs every task worker repeats (the audit chaining); a failing job is
logged once, runs again next time, and does not stop the others."""

import logging

import pytest

from caunoi.core import periodic


@pytest.fixture
def jobs(monkeypatch):
    registry: dict = {}
    monkeypatch.setattr(periodic, "JOBS", registry)
    return registry


def test_a_failing_job_is_logged_once_retried_and_does_not_stop_the_others(jobs, caplog):
    runs: list[str] = []
    outcomes = ["fail", "fail", "ok"]

    def flaky() -> None:
        runs.append("flaky")
        if outcomes.pop(0) == "fail":
            raise RuntimeError("database went away")

    periodic.periodic_register("flaky", flaky)
    periodic.periodic_register("steady", lambda: runs.append("steady"))
    worker = periodic.Periodic(interval=0.01)

    with caplog.at_level(logging.WARNING, logger="caunoi.worker"):
        for _ in range(3):
            worker.run_jobs()

    assert runs == ["flaky", "steady"] * 3
    failures = [r for r in caplog.records if "failed" in r.getMessage()]
    assert len(failures) == 1
    assert "database went away" in (failures[0].exc_text or "")
    assert any("works again" in r.getMessage() for r in caplog.records)
    assert worker.failing == set()


def test_the_thread_runs_the_jobs_once_more_when_stopped(jobs):
    runs: list[int] = []
    periodic.periodic_register("count", lambda: runs.append(1))
    worker = periodic.Periodic(interval=3600)
    worker.start()
    worker.stop()
    assert runs == [1]
    assert not worker.is_alive()
