"""The weak link itself, measured from inside its namespace: it delays, loses and limits as it
was told to (a link that only pretended would fail each of these)."""

from __future__ import annotations

import json
import socket
import statistics
import subprocess
import sys
import threading

import pytest

from tests.weaklink import HERE, WeakLink, unavailable

pytestmark = [
    pytest.mark.skipif(bool(unavailable()), reason=unavailable() or "-"),
    pytest.mark.xdist_group("weaklink"),
]


def _probe(link: WeakLink, *args: object) -> dict:
    out = subprocess.run(
        link.command(sys.executable, str(HERE / "probe.py"), *map(str, args)),
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return json.loads(out.stdout)


def _udp_echo(host: str) -> tuple[socket.socket, int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((host, 0))

    def serve() -> None:
        while True:
            try:
                data, peer = sock.recvfrom(2048)
            except OSError:
                return
            sock.sendto(data, peer)

    threading.Thread(target=serve, daemon=True).start()
    return sock, sock.getsockname()[1]


def test_the_line_holds_each_packet_the_delay_each_way_and_loses_its_share():
    with WeakLink(rate=256, delay=150, loss=3) as link:
        sock, port = _udp_echo(link.host)
        try:
            result = _probe(link, "echo", link.host, port, 400, 0.02)
        finally:
            sock.close()
        report = link.stop()
    rtts = result["rtts_ms"]
    # 150 ms there and 150 back, plus 2 × 4 ms on the line for 128 bytes at 256 kbit/s.
    assert 305 <= statistics.median(rtts) <= 325, rtts[:5]
    assert min(rtts) >= 305
    # 3 % each way: about 6 % of round trips lost (0.97² ≈ 0.941).
    lost = 1 - result["answered"] / result["sent"]
    assert 0.02 <= lost <= 0.12, lost
    assert report["down"]["lost"] + report["up"]["lost"] >= 8
    assert report["up"]["packets_in"] >= 400


def _stream(host: str, size: int) -> tuple[socket.socket, int]:
    server = socket.create_server((host, 0))

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.sendall(b"\0" * size)

    threading.Thread(target=serve, daemon=True).start()
    return server, server.getsockname()[1]


def test_the_line_carries_no_more_than_its_rate_nor_much_less():
    size = 400_000
    with WeakLink(rate=1000, delay=20, loss=0) as link:
        server, port = _stream(link.host, size)
        try:
            result = _probe(link, "fetch", link.host, port)
        finally:
            server.close()
    assert result["bytes"] == size
    kbps = result["bytes"] * 8 / result["seconds"] / 1000
    # 1,000 kbit/s of IP packets: TCP's own headers take about 3 % of it.
    assert 850 <= kbps <= 1000, kbps
