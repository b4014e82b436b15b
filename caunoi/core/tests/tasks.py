"""Tasks for the worker's tests: they report what they saw or fail the way a test asks."""

from __future__ import annotations

from django.db import OperationalError
from django.tasks import task

from caunoi.core.models import WorkerHeartbeat

# How each task should behave on its next runs, set by the test (the worker runs in-process).
script: list[str] = []
runs: list[str] = []


@task()
def heartbeats_seen() -> list[dict[str, object]]:
    return [dict(row) for row in WorkerHeartbeat.objects.values("worker_id", "pid", "host")]


@task()
def scripted(name: str) -> str:
    runs.append(name)
    what = script.pop(0) if script else "ok"
    if what == "connection lost":
        raise OperationalError("server closed the connection unexpectedly")
    if what == "bad query":
        raise OperationalError("canceling statement due to statement timeout")
    if what == "forced stop":
        raise SystemExit(1)
    return name
