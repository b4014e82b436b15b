"""Live video: time from opening the room to "connected" on loopback, the bitrate actually
sent in each connection mode, and the signalling relay latency and server CPU with 100 rooms.

    .venv/bin/python benchmarks/video.py          # on the demo database (make demo's)

Starts `caunoi serve` on a free port. Browsers: Debian's Chromium with fake camera/microphone.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caunoi.config.settings")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright keeps a loop in this thread
import django

django.setup()

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from playwright.sync_api import sync_playwright

from caunoi.accounts.models import User
from caunoi.video.models import VideoSession
from caunoi.video.services import video_session_schedule

CAUNOI = str(Path(sys.executable).parent / "caunoi")
ROOMS = int(os.environ.get("BENCH_ROOMS", "100"))
MESSAGES = int(os.environ.get("BENCH_MESSAGES", "50"))


def cookie_for(user: User) -> str:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key or ""


def cpu_seconds(pid: int) -> float:
    total = 0.0
    for p in [pid, *child_pids(pid)]:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def child_pids(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def browsers(base: str, session: VideoSession) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                "--disable-features=WebRtcHideLocalIpsWithMdns",
            ],
        )
        pages = []
        for name in ("specialist", "worker"):
            context = browser.new_context(base_url=base)
            context.add_cookies(
                [
                    {
                        "name": settings.SESSION_COOKIE_NAME,
                        "value": cookie_for(User.objects.get(username=name)),
                        "url": base,
                    }
                ]
            )
            pages.append(context.new_page())
        pages[0].goto(session.get_absolute_url())
        started = time.perf_counter()
        pages[1].goto(session.get_absolute_url())
        snap = None
        while time.perf_counter() - started < 30:
            snap = pages[1].evaluate("window.caunoiRoom && window.caunoiRoom.snapshot()")
            if snap and snap["peers"] and snap["peers"][0]["state"] == "connected":
                break
            time.sleep(0.05)
        wall = time.perf_counter() - started
        print(
            f"join → connected: {snap['connectedSincePageStart']:.0f} ms from page start "
            f"({snap['firstConnectedMs']:.0f} ms after the room's welcome); {wall * 1000:.0f} ms wall clock incl. polling"
        )
        for mode in ("normal", "weak", "audio"):
            pages[1].evaluate(f"window.caunoiRoom.applyMode('{mode}')")
            time.sleep(8)
            pages[1].evaluate("window.caunoiRoom.snapshot()")
            time.sleep(2)
            kbps = pages[1].evaluate("window.caunoiRoom.snapshot()")["sentKbps"]
            print(f"mode {mode:6}: {kbps} kbit/s sent (fake camera 640x480)")
        browser.close()


async def relay(base: str, pairs: list[tuple[str, str, str]]) -> None:
    import websockets

    ws_base = base.replace("http", "ws")
    latencies: list[float] = []

    async def room(session_id: str, cookie_a: str, cookie_b: str) -> None:
        url = f"{ws_base}/ws/video/{session_id}/"
        headers = {"Origin": base}
        async with websockets.connect(
            url, additional_headers={**headers, "Cookie": f"sessionid={cookie_a}"}
        ) as a:
            me_a = json.loads(await a.recv())["you"]
            async with websockets.connect(
                url, additional_headers={**headers, "Cookie": f"sessionid={cookie_b}"}
            ) as b:
                json.loads(await b.recv())
                await a.recv()  # peer-joined
                for _ in range(MESSAGES):
                    sent = time.perf_counter()
                    await b.send(
                        json.dumps(
                            {
                                "type": "signal",
                                "to": me_a,
                                "data": {"candidate": {"candidate": "x" * 200}},
                            }
                        )
                    )
                    while True:
                        message = json.loads(await a.recv())
                        if message["type"] == "signal":
                            break
                    latencies.append((time.perf_counter() - sent) * 1000)
                    await asyncio.sleep(0.05)

    await asyncio.gather(*(room(*pair) for pair in pairs))
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95)]
    print(
        f"signalling relay, {len(pairs)} rooms × {MESSAGES} messages: "
        f"p50 {statistics.median(latencies):.1f} ms, p95 {p95:.1f} ms"
    )


def main() -> None:
    subprocess.run([CAUNOI, "collectstatic", "--no-input", "-v0"], check=True)
    specialist = User.objects.get(username="specialist")
    worker = User.objects.get(username="worker")
    one = video_session_schedule(
        actor=specialist, title="benchmark", scheduled_at=timezone.now(), participants=[worker]
    )
    rooms = [
        video_session_schedule(
            actor=specialist,
            title=f"benchmark {n}",
            scheduled_at=timezone.now(),
            participants=[worker],
        )
        for n in range(ROOMS)
    ]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [CAUNOI, "serve", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310
                break
            except urllib.error.HTTPError:  # serving (503: no task worker here)
                break
            except OSError:
                time.sleep(0.1)
        browsers(base, one)
        pairs = [(str(r.public_id), cookie_for(specialist), cookie_for(worker)) for r in rooms]
        cpu_before, wall_before = cpu_seconds(server.pid), time.perf_counter()
        asyncio.run(relay(base, pairs))
        cpu = cpu_seconds(server.pid) - cpu_before
        wall = time.perf_counter() - wall_before
        print(
            f"server CPU during the relay test: {cpu:.1f} s over {wall:.1f} s = {100 * cpu / wall:.0f}% of one core"
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
        VideoSession.objects.filter(title__startswith="benchmark").delete()


if __name__ == "__main__":
    main()
