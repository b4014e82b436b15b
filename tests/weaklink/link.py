"""A weak link between this machine and a network namespace: a commune station's line, made
here so that the tests and benchmarks can put a real browser behind it.

The namespace reaches the rest of the machine only through two TUN devices, one on either side,
and this program moves every packet between them as a slow, far, lossy line would: each
direction is a queue drained at ``rate`` bit/s, then held ``delay`` ms, a packet lost at random
with probability ``loss`` and dropped when the queue already holds more than ``queue`` ms. The
kernel's own shaper (``tc netem``) does the same, but the machines here have no netem module,
and a TUN device needs nothing but the kernel's ``tun`` driver.

Run as a program (as root), it builds the namespace, prints one JSON line when the link is up
and shapes until it is sent SIGTERM, then prints what it carried and removes the namespace::

    python tests/weaklink/link.py --name weak1 --rate 256 --delay 150 --loss 3

``WeakLink`` (``tests/weaklink/__init__.py``) is the tests' handle on it.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import fcntl
import json
import os
import random
import select
import signal
import struct
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def open_tun(name: str) -> int:
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def ip(*args: str, netns: str = "") -> None:
    prefix = ["ip", "netns", "exec", netns] if netns else []
    subprocess.run([*prefix, "ip", *args], check=True, capture_output=True)


@dataclass
class Direction:
    """One direction of the line: what goes in, what comes out, what was lost and why."""

    rate_bps: float
    delay_s: float
    loss: float
    queue_s: float
    rng: random.Random
    free_at: float = 0.0
    queue: collections.deque = field(default_factory=collections.deque)
    packets_in: int = 0
    packets_out: int = 0
    bytes_out: int = 0
    lost: int = 0
    overflowed: int = 0

    def admit(self, packet: bytes, now: float) -> None:
        """Queue ``packet`` as the line would carry it, or lose it."""
        self.packets_in += 1
        if self.rng.random() < self.loss:
            self.lost += 1
            return
        start = max(now, self.free_at)
        if start - now > self.queue_s:
            self.overflowed += 1
            return
        self.free_at = start + len(packet) * 8 / self.rate_bps
        self.queue.append((self.free_at + self.delay_s, packet))

    def due(self, now: float) -> list[bytes]:
        out = []
        while self.queue and self.queue[0][0] <= now:
            out.append(self.queue.popleft()[1])
        self.packets_out += len(out)
        self.bytes_out += sum(len(p) for p in out)
        return out

    def next_due(self) -> float | None:
        return self.queue[0][0] if self.queue else None

    def counts(self) -> dict[str, int]:
        d = asdict(self)
        return {k: d[k] for k in ("packets_in", "packets_out", "bytes_out", "lost", "overflowed")}


def addresses(index: int) -> tuple[str, str]:
    """The machine's and the namespace's address for link ``index`` (0–249)."""
    return f"10.231.{index}.1", f"10.231.{index}.2"


def run(args: argparse.Namespace) -> None:
    host, inside = addresses(args.index)
    outer, inner = f"cnw{args.index}o", f"cnw{args.index}i"
    subprocess.run(["ip", "netns", "del", args.name], capture_output=True)  # noqa: S607
    ip("netns", "add", args.name)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        out_fd, in_fd = open_tun(outer), open_tun(inner)
        ip("link", "set", inner, "netns", args.name)
        ip("addr", "add", host, "peer", inside, "dev", outer)
        ip("link", "set", outer, "up")
        ip("link", "set", "lo", "up", netns=args.name)
        ip("addr", "add", inside, "peer", host, "dev", inner, netns=args.name)
        ip("link", "set", inner, "up", netns=args.name)
        ip("route", "add", "default", "dev", inner, netns=args.name)
        rng = random.Random(args.seed)

        def direction() -> Direction:
            return Direction(
                args.rate * 1000, args.delay / 1000, args.loss / 100, args.queue / 1000, rng
            )

        # down: the machine to the namespace (what the station receives); up: the other way.
        down, up = direction(), direction()
        print(json.dumps({"ready": True, "host": host, "inside": inside}), flush=True)
        started = time.monotonic()
        while not stopping:
            now = time.monotonic()
            dues = [t for t in (down.next_due(), up.next_due()) if t is not None]
            timeout = max(0.0, min(dues) - now) if dues else 0.2
            try:
                readable, _, _ = select.select([out_fd, in_fd], [], [], min(timeout, 0.2))
            except InterruptedError:
                continue
            now = time.monotonic()
            for fd, line in ((out_fd, down), (in_fd, up)):
                if fd in readable:
                    while True:
                        try:
                            line.admit(os.read(fd, 65536), now)
                        except BlockingIOError:
                            break
            for packet in down.due(now):
                _write(in_fd, packet)
            for packet in up.due(now):
                _write(out_fd, packet)
        seconds = time.monotonic() - started
        print(
            json.dumps({"seconds": round(seconds, 3), "down": down.counts(), "up": up.counts()}),
            flush=True,
        )
    finally:
        subprocess.run(["ip", "netns", "del", args.name], capture_output=True)  # noqa: S607


def _write(fd: int, packet: bytes) -> None:
    # OSError: the device's own queue is full, a loss like any other.
    with contextlib.suppress(OSError):
        os.write(fd, packet)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--name", required=True, help="the network namespace to create")
    parser.add_argument("--index", type=int, default=0, help="the link's addresses, 10.231.N.x")
    parser.add_argument("--rate", type=float, default=256, help="kbit/s each way")
    parser.add_argument("--delay", type=float, default=150, help="ms each way")
    parser.add_argument("--loss", type=float, default=3, help="%% of packets lost each way")
    parser.add_argument("--queue", type=float, default=400, help="ms of queue before dropping")
    parser.add_argument("--seed", type=int, default=1)
    run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
