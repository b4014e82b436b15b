"""``caunoi serve --with-worker`` never leaves its task worker behind: stopped (SIGTERM, as
systemd or a container runtime stops it) or killed outright (SIGKILL), the worker ends too, so
no orphaned worker keeps running old code beside the next server."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.faults.harness import wait_for

pytestmark = pytest.mark.faults


def _children(pid: int) -> list[int]:
    """The child processes of ``pid``, whichever of its threads started them (a thread that
    ends while they are read is skipped)."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children += [int(c) for c in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return children


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie still answers kill(0) until reaped: count it as gone.
    return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_the_worker_ends_with_the_server(how, database, start_app):
    app = start_app()
    app.wait_healthy()
    assert app.process is not None
    [worker] = wait_for(lambda: _children(app.process.pid), "the worker to be started")
    os.kill(app.process.pid, how)  # the server only, not its process group
    app.process.wait(timeout=20)
    wait_for(lambda: _gone(worker), f"the worker ({worker}) to end after {how.name}", 15)
