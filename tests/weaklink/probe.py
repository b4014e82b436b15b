"""Measure a link from inside its namespace (``WeakLink.command``): round trips of small UDP
packets to an echo server, or the time to read a TCP stream to its end. Prints one JSON line."""

from __future__ import annotations

import json
import socket
import sys
import time


def echo(host: str, port: int, count: int, interval: float) -> dict[str, object]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    sent: dict[int, float] = {}
    rtts: list[float] = []
    end = time.monotonic() + count * interval + 2.0
    next_send, seq = time.monotonic(), 0
    while time.monotonic() < end:
        now = time.monotonic()
        if seq < count and now >= next_send:
            sock.sendto(seq.to_bytes(4, "big") + b"x" * 96, (host, port))
            sent[seq] = now
            seq += 1
            next_send += interval
        try:
            data = sock.recv(2048)
            rtts.append(time.monotonic() - sent[int.from_bytes(data[:4], "big")])
        except BlockingIOError:
            time.sleep(0.002)
    return {
        "sent": count,
        "answered": len(rtts),
        "rtts_ms": sorted(round(r * 1000, 1) for r in rtts),
    }


def fetch(host: str, port: int) -> dict[str, object]:
    started = time.monotonic()
    total = 0
    with socket.create_connection((host, port), timeout=60) as sock:
        connected = time.monotonic()
        while chunk := sock.recv(65536):
            total += len(chunk)
    return {
        "bytes": total,
        "seconds": time.monotonic() - connected,
        "connect_s": connected - started,
    }


if __name__ == "__main__":
    kind, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if kind == "echo":
        result = echo(host, port, int(sys.argv[4]), float(sys.argv[5]))
    else:
        result = fetch(host, port)
    print(json.dumps(result))
