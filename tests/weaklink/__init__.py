"""The tests' handle on a weak link (``link.py``): a network namespace whose only way out is a
line of a commune station's speed, delay and loss, with a Chromium that runs inside it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"


def unavailable() -> str:
    """Why this machine cannot make a weak link, or "" when it can."""
    if os.geteuid() != 0:
        return "a weak link needs root (network namespaces and TUN devices)"
    if not os.path.exists("/dev/net/tun"):
        return "this kernel has no TUN device (/dev/net/tun)"
    if shutil.which("ip") is None:
        return "iproute2's ip is not installed"
    probe = f"cnw-probe-{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)  # noqa: S607
    if made.returncode:
        return f"network namespaces cannot be made here: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)  # noqa: S607
    return ""


class WeakLink:
    """A namespace behind a line of ``rate`` kbit/s, ``delay`` ms and ``loss`` % each way.

    ``host`` is the machine's address as seen from inside (servers the station reaches listen
    there or on 0.0.0.0); ``report`` is what the line carried, read once it is stopped."""

    def __init__(
        self, *, rate: float = 256, delay: float = 150, loss: float = 3, queue: float = 400
    ) -> None:
        self.index = os.getpid() % 250
        self.name = f"caunoi-weak-{os.getpid()}"
        self.args = [
            f"--name={self.name}",
            f"--index={self.index}",
            f"--rate={rate}",
            f"--delay={delay}",
            f"--loss={loss}",
            f"--queue={queue}",
        ]
        self.host = ""
        self.report: dict[str, Any] = {}
        self.process: subprocess.Popen[str] | None = None
        self.folder = Path(tempfile.mkdtemp(prefix="caunoi-weak-"))

    def __enter__(self) -> WeakLink:
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "link.py"), *self.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the weak link did not start: {self.process.stderr.read()}")  # type: ignore[union-attr]
        self.host = json.loads(line)["host"]
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def stop(self) -> dict[str, Any]:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            out, _err = self.process.communicate(timeout=10)
            lines = [json.loads(x) for x in out.splitlines() if x.strip()]
            self.report = lines[-1] if lines else {}
        return self.report

    def command(self, *argv: str) -> list[str]:
        """``argv`` run inside the namespace."""
        return ["ip", "netns", "exec", self.name, *argv]

    def chromium(self) -> str:
        """An executable that starts Debian's Chromium inside the namespace (for Playwright's
        ``executable_path``)."""
        wrapper = self.folder / "chromium"
        wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {self.name} {CHROMIUM} "$@"\n')
        wrapper.chmod(0o755)
        return str(wrapper)
