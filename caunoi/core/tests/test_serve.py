"""`caunoi serve --with-worker` keeps a task worker running: a worker that dies is started
again, and stopping the server stops the worker. A stand-in child process (a sleeping Python)
plays the worker; the real one is killed in tests/faults/."""

from __future__ import annotations

import logging
import os
import signal
import sys
import time

from caunoi.core.management.commands.serve import WorkerSupervisor


def _wait_for(condition, what: str, seconds: float = 20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _supervisor() -> WorkerSupervisor:
    supervisor = WorkerSupervisor(
        [sys.executable, "-c", "import time; time.sleep(600)"], dict(os.environ)
    )
    supervisor.MIN_DELAY = 0.05
    return supervisor


def test_a_killed_worker_is_started_again_and_stopping_ends_it(caplog):
    supervisor = _supervisor()
    supervisor.start()
    try:
        first = _wait_for(lambda: supervisor.process, "first worker started")
        with caplog.at_level(logging.WARNING, logger="caunoi.serve"):
            os.kill(first.pid, signal.SIGKILL)
            second = _wait_for(
                lambda: supervisor.process if supervisor.process is not first else None,
                "worker started again",
            )
        assert second.pid != first.pid
        assert second.poll() is None
        assert supervisor.restarts == 1
        assert f"Task worker (pid {first.pid}) was killed by SIGKILL; starting it again in" in (
            caplog.text
        )
    finally:
        supervisor.stop(timeout=5)

    assert second.poll() is not None
    assert not _alive(second.pid)
    assert first.poll() == -signal.SIGKILL


def test_a_worker_that_keeps_dying_is_restarted_with_growing_pauses(caplog):
    supervisor = WorkerSupervisor([sys.executable, "-c", "raise SystemExit(3)"], dict(os.environ))
    supervisor.MIN_DELAY = 0.05
    supervisor.MAX_DELAY = 0.2
    with caplog.at_level(logging.WARNING, logger="caunoi.serve"):
        supervisor.start()
        try:
            _wait_for(lambda: supervisor.restarts >= 4, "four restarts")
        finally:
            supervisor.stop(timeout=5)
        restarts = supervisor.restarts
        time.sleep(0.5)

    pauses = [
        r.getMessage().rsplit(" in ", 1)[1]
        for r in caplog.records
        if "exited (3); starting it again" in r.getMessage()
    ]
    assert pauses[:4] == ["0.05 s.", "0.1 s.", "0.2 s.", "0.2 s."]
    # Stopped means stopped: nothing is started after stop().
    assert supervisor.restarts == restarts
