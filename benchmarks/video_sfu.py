"""Janus as the platform runs it (``video.janus_local``: the VideoRoom plugin, a room as
``sfu.room_open`` makes it) under a teaching session's load and a conference's.

1. **Viewers.** One presenter — real Chromium with a fake camera, sending simulcast as the room
   page does (three layers, ≤ 300/120/50 kbit/s) — and 10, 50 and 100 receive-only viewers
   (aiortc), a third on each layer. For each run: Janus's CPU (from /proc, over a measured
   window) and memory (RSS) in all and per viewer, the bitrate each viewer receives per layer,
   and join-to-first-frame (subscribe request → first decoded frame) p50 and p95, frame rate per layer. Nine of the
   viewers decode what they receive (their frames are the experience); the others count the
   bytes only, so that the viewers' decoding, in this Python process, does not take the
   machine's two cores from Janus.
2. **A conference of twelve sites.** Twelve publishers (aiortc, 320×240 at 15 fps, a picture
   that keeps the encoder busy, at whatever rate the room's 512 kbit/s cap lets it send), each
   receiving the eleven others (counted, not decoded): Janus's CPU and memory, what each
   participant sends and receives.

    .venv/bin/python benchmarks/video_sfu.py            # BENCH_VIEWERS=10,50,100 BENCH_SECONDS=20

The viewers run in this process and compete with Janus for the 2 cores, so join times here are
an upper bound; Janus's own CPU seconds are what Janus spent, whoever else ran.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import http.server
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caunoi.config.settings")

import django

django.setup()

import av
from aiortc import RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
from django.conf import settings
from playwright.sync_api import sync_playwright

from caunoi.video import janus_local, sfu
from caunoi.video.tests import janus_peer

ROOM = 424242
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
VIEWERS = [int(n) for n in os.environ.get("BENCH_VIEWERS", "10,50,100").split(",")]
CLOCK = os.sysconf("SC_CLK_TCK")

PRESENTER = """<!doctype html><meta charset="utf-8"><script src="janus.js"></script><script>
window.published = false;
Janus.init({debug: false, dependencies: Janus.useDefaultDependencies({adapter: {browserDetails:
  {browser: "chrome", version: 120}}}), callback: function () {
  var janus = new Janus({server: SERVER, token: TOKEN, success: function () {
    janus.attach({plugin: "janus.plugin.videoroom", success: function (h) {
      window.handle = h;
      h.send({message: {request: "join", ptype: "publisher", room: ROOM, id: 1, token: "presenter"}});
    }, onmessage: function (msg, jsep) {
      if (jsep) { window.handle.handleRemoteJsep({jsep: jsep}); }
      if (msg.videoroom === "joined") {
        navigator.mediaDevices.getUserMedia({audio: true, video: {width: 640, height: 480}})
        .then(function (stream) {
          window.handle.createOffer({tracks: [
            {type: "audio", capture: stream.getAudioTracks()[0], recv: false},
            {type: "video", capture: stream.getVideoTracks()[0], recv: false, simulcast: true,
             sendEncodings: [
              {rid: "h", active: true, maxBitrate: 300000, scaleResolutionDownBy: 1},
              {rid: "m", active: true, maxBitrate: 120000, scaleResolutionDownBy: 2},
              {rid: "l", active: true, maxBitrate: 50000, scaleResolutionDownBy: 4}]}],
            success: function (offer) {
              window.handle.send({message: {request: "configure", audio: true, video: true},
                jsep: offer});
            }});
        });
      }
    }, webrtcState: function (on) { window.published = on; }});
  }});
}});
</script>"""


def janus_usage(pid: int) -> tuple[float, int]:
    """Janus's CPU seconds so far (user + system) and its resident memory in bytes."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLOCK
    rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    return cpu, rss


def machine_busy() -> tuple[float, float]:
    """CPU seconds so far of the whole machine (all cores, busy time) and of this process."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    times = os.times()
    return (sum(fields) - idle) / CLOCK, times.user + times.system


def serve_page(folder: Path) -> http.server.ThreadingHTTPServer:
    handler = type(
        "Quiet",
        (http.server.SimpleHTTPRequestHandler,),
        {"log_message": lambda *a: None},
    )
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *a: handler(*a, directory=str(folder))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def make_room(publishers: int, allowed: list[str]) -> None:
    with sfu.Janus() as janus:
        with contextlib.suppress(sfu.JanusError):
            janus.request({"request": "destroy", "room": ROOM, "secret": "bench"})
        janus.request(
            {
                "request": "create",
                "admin_key": settings.JANUS_ADMIN_KEY,
                "room": ROOM,
                "secret": "bench",
                "is_private": True,
                "allowed": allowed,
                "publishers": publishers,
                "bitrate": settings.JANUS_ROOM_BITRATE,
                "fir_freq": 5,
            }
        )


class CountOnly:
    """A decoder that decodes nothing: the conference's receivers count bytes only (132
    decoders in this process would take the machine's two cores from Janus)."""

    def decode(self, encoded_frame: object) -> list[object]:
        return []


DECODERS = int(os.environ.get("BENCH_DECODERS", "9"))


def decode_only_some(budget: int) -> None:
    """The first ``budget`` video receivers decode (their frames and first-frame times are
    the viewers' experience); the others count bytes only, so that the viewers' decoding does
    not take the CPU from Janus (a hundred decoders in one Python process would)."""
    import aiortc.rtcrtpreceiver
    from aiortc import codecs

    left = [budget]
    lock = threading.Lock()

    def make(codec: Any) -> Any:
        with lock:
            if codec.mimeType.lower().startswith("audio/") or left[0] > 0:
                if not codec.mimeType.lower().startswith("audio/"):
                    left[0] -= 1
                return codecs.get_decoder(codec)
        return CountOnly()

    aiortc.rtcrtpreceiver.get_decoder = make  # type: ignore[assignment]


async def viewers_run(
    media: janus_peer.MediaLoop, count: int, pid: int
) -> dict[str, Any]:  # runs in the media loop
    decode_only_some(DECODERS)
    token = sfu.signed_token(3600)
    peers = [janus_peer.JanusPeer(settings.JANUS_URL, token) for _ in range(count)]
    for p in peers:
        await asyncio.to_thread(p.__enter__)
    alive = asyncio.ensure_future(janus_peer.keep_alive(peers))
    viewers: list[tuple[int, janus_peer.Viewer]] = []
    for start in range(0, count, 10):  # people arrive ten at a time
        batch = range(start, min(start + 10, count))
        made = await asyncio.gather(
            *(janus_peer.subscribe(peers[i], ROOM, "viewer", 1, substream=i % 3) for i in batch)
        )
        viewers += [(i % 3, v) for i, (v, _h) in zip(batch, made, strict=True)]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and sum(1 for _l, v in viewers if v.first_frame) < min(
        DECODERS, count
    ):
        await asyncio.sleep(0.2)
    joined = sorted(v.first_frame - v.started for _l, v in viewers if v.first_frame)
    before = {id(v): await v.bytes_received() for _l, v in viewers}
    frames_before = {id(v): v.frames for _l, v in viewers}
    cpu0, _rss = janus_usage(pid)
    machine0, viewers0 = machine_busy()
    t0 = time.monotonic()
    await asyncio.sleep(SECONDS)
    cpu1, rss = janus_usage(pid)
    machine1, viewers1 = machine_busy()
    elapsed = time.monotonic() - t0
    per_layer: dict[int, list[float]] = {0: [], 1: [], 2: []}
    fps: dict[int, list[float]] = {0: [], 1: [], 2: []}
    sizes: dict[int, set[tuple[int, int]]] = {0: set(), 1: set(), 2: set()}
    for layer, v in viewers:
        got = await v.bytes_received() - before[id(v)]
        per_layer[layer].append(8 * got / elapsed / 1000)
        if v.first_frame is not None:  # one of those that decode
            fps[layer].append((v.frames - frames_before[id(v)]) / elapsed)
        sizes[layer].update(v.sizes[-5:])
    alive.cancel()
    for _l, v in viewers:
        await v.close()
    for p in peers:
        await asyncio.to_thread(p.__exit__)
    return {
        "viewers": count,
        "receiving": sum(1 for layer in per_layer.values() for kbps in layer if kbps > 20),
        "decoding": len(joined),
        "janus_cpu_pct": round(100 * (cpu1 - cpu0) / elapsed, 1),
        "janus_rss_mb": round(rss / 2**20, 1),
        "machine_cpu_pct": round(100 * (machine1 - machine0) / elapsed, 1),
        "viewers_process_cpu_pct": round(100 * (viewers1 - viewers0) / elapsed, 1),
        "first_frame_p50_ms": round(1000 * statistics.median(joined)) if joined else None,
        "first_frame_p95_ms": round(1000 * joined[int(0.95 * (len(joined) - 1))])
        if joined
        else None,
        "received_kbps_by_layer": {
            k: round(statistics.mean(v), 1) for k, v in per_layer.items() if v
        },
        "fps_by_layer": {k: round(statistics.mean(v), 1) for k, v in fps.items() if v},
        "size_by_layer": {k: sorted(v) for k, v in sizes.items() if v},
    }


class SmallPicture(VideoStreamTrack):
    """A 320×240 picture at 15 fps whose top quarter changes every frame (noise), so that the
    encoder spends what the room lets it (a still picture would cost almost nothing)."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self.n = 0

    async def recv(self) -> av.VideoFrame:
        await asyncio.sleep(1 / 15)
        self.n += 1
        frame = av.VideoFrame(width=320, height=240, format="yuv420p")
        luma = frame.planes[0]
        busy = luma.buffer_size // 4
        luma.update(os.urandom(busy) + bytes([(self.n * 3) % 256]) * (luma.buffer_size - busy))
        for plane in frame.planes[1:]:
            plane.update(bytes([128]) * plane.buffer_size)
        frame.pts = self.n * 6000
        frame.time_base = fractions.Fraction(1, 90000)
        return frame


async def conference_run(pid: int, sites: int = 12) -> dict[str, Any]:
    decode_only_some(0)
    token = sfu.signed_token(3600)
    people: list[tuple[janus_peer.JanusPeer, RTCPeerConnection, list[janus_peer.Viewer]]] = []
    sessions: list[janus_peer.JanusPeer] = []
    alive = asyncio.ensure_future(janus_peer.keep_alive(sessions))
    for n in range(sites):
        peer = janus_peer.JanusPeer(settings.JANUS_URL, token)
        await asyncio.to_thread(peer.__enter__)
        handle, joined = await asyncio.to_thread(janus_peer.join, peer, ROOM, "site", 100 + n)
        assert joined.get("videoroom") == "joined", joined
        pc = RTCPeerConnection()
        pc.addTrack(SmallPicture())
        await pc.setLocalDescription(await pc.createOffer())
        await asyncio.to_thread(
            peer.message,
            handle,
            {"request": "configure", "audio": False, "video": True},
            {"type": "offer", "sdp": pc.localDescription.sdp},
        )
        answer = await asyncio.to_thread(janus_peer.answer_to, peer, handle, "jsep", "error_code")
        await pc.setRemoteDescription(RTCSessionDescription(**answer["jsep"]))
        people.append((peer, pc, []))
        sessions.append(peer)
    await asyncio.sleep(3)
    for n, (peer, _pc, subs) in enumerate(people):
        for m in range(sites):
            if m != n:
                viewer, _h = await janus_peer.subscribe(peer, ROOM, "site", 100 + m)
                subs.append(viewer)
    await asyncio.sleep(5)

    async def sent(pc: RTCPeerConnection) -> int:
        stats = await pc.getStats()
        return sum(
            int(getattr(s, "bytesSent", 0) or 0) for s in stats.values() if s.type == "outbound-rtp"
        )

    up0 = [await sent(pc) for _p, pc, _s in people]
    down0 = [sum([await v.bytes_received() for v in subs]) for _p, _pc, subs in people]
    cpu0, _ = janus_usage(pid)
    machine0, _own = machine_busy()
    t0 = time.monotonic()
    await asyncio.sleep(SECONDS)
    cpu1, rss = janus_usage(pid)
    machine1, _own = machine_busy()
    elapsed = time.monotonic() - t0
    up = [
        8 * (await sent(pc) - b) / elapsed / 1000
        for (_p, pc, _s), b in zip(people, up0, strict=True)
    ]
    down = [
        8 * (sum([await v.bytes_received() for v in subs]) - b) / elapsed / 1000
        for (_p, _pc, subs), b in zip(people, down0, strict=True)
    ]
    alive.cancel()
    for peer, pc, subs in people:
        for v in subs:
            await v.close()
        await pc.close()
        await asyncio.to_thread(peer.__exit__)
    return {
        "sites": sites,
        "janus_cpu_pct": round(100 * (cpu1 - cpu0) / elapsed, 1),
        "janus_rss_mb": round(rss / 2**20, 1),
        "machine_cpu_pct": round(100 * (machine1 - machine0) / elapsed, 1),
        "upload_kbps_mean": round(statistics.mean(up), 1),
        "download_kbps_mean": round(statistics.mean(down), 1),
    }


def main() -> None:
    janus = janus_local.start_janus()
    settings.JANUS_URL = janus.url
    settings.JANUS_TOKEN_SECRET = janus.token_secret
    settings.JANUS_ADMIN_KEY = janus.admin_key
    pid = janus.process.pid
    results: dict[str, Any] = {"idle": {}}
    _cpu, rss = janus_usage(pid)
    results["idle"] = {"janus_rss_mb": round(rss / 2**20, 1)}
    folder = Path(tempfile.mkdtemp(prefix="caunoi-bench-"))
    shutil.copy(REPO / "caunoi/core/static/vendor/janus-1.1.2.min.js", folder / "janus.js")
    page_server = serve_page(folder)
    try:
        with janus_peer.MediaLoop() as media, sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"],
            )
            runs = []
            for count in VIEWERS:
                make_room(1, ["presenter", "viewer"])
                (folder / "index.html").write_text(
                    PRESENTER.replace("SERVER", json.dumps(janus.url))
                    .replace("TOKEN", json.dumps(sfu.signed_token(3600)))
                    .replace("ROOM", str(ROOM))
                )
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{page_server.server_address[1]}/index.html")
                page.wait_for_function("window.published === true", timeout=30000)
                page.wait_for_timeout(3000)  # the layers ramp up
                result = media.run(viewers_run(media, count, pid), seconds=SECONDS + 600)
                print(json.dumps(result), flush=True)
                runs.append(result)
                page.close()
            results["viewers"] = runs
            browser.close()
            make_room(12, ["site"])
            conference = media.run(conference_run(pid), seconds=SECONDS + 600)
            print(json.dumps(conference), flush=True)
            results["conference"] = conference
    finally:
        page_server.shutdown()
        janus.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
