"""A participant of a Janus VideoRoom without a browser: Janus's HTTP API (a session, one handle
per role) with aiortc for the media. The tests use it where a browser would be too heavy (a
viewer that tries to publish); ``benchmarks/video_sfu.py`` runs a hundred of them as viewers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack

VIDEOROOM = "janus.plugin.videoroom"


class MediaLoop:
    """aiortc's event loop in a thread of its own, so that a synchronous test (the database,
    Django's client) drives the media with ``run(coroutine)``."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run[T](self, coroutine: Coroutine[Any, Any, T], seconds: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(seconds)

    def __enter__(self) -> MediaLoop:
        return self

    def __exit__(self, *exc: object) -> None:
        async def settle() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.run(settle())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class JanusPeer:
    """One Janus session (``with``), its handles and its event queue, over plain HTTP."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.session = 0
        self.pending: list[dict[str, Any]] = []

    def __enter__(self) -> JanusPeer:
        self.session = int(self.post(self.url, {"janus": "create"})["data"]["id"])
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            self.post(f"{self.url}/{self.session}", {"janus": "destroy"})

    def keepalive(self) -> None:
        """Janus ends a session that says nothing for a minute (its session_timeout)."""
        self.post(f"{self.url}/{self.session}", {"janus": "keepalive"})

    def post(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        payload = {**body, "transaction": secrets.token_hex(6), "token": self.token}
        request = urllib.request.Request(  # noqa: S310 (the test's own Janus)
            url, json.dumps(payload).encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            reply: dict[str, Any] = json.loads(answer.read())
        return reply

    def attach(self) -> int:
        reply = self.post(f"{self.url}/{self.session}", {"janus": "attach", "plugin": VIDEOROOM})
        return int(reply["data"]["id"])

    def message(
        self, handle: int, body: dict[str, Any], jsep: dict[str, str] | None = None
    ) -> None:
        extra = {"jsep": jsep} if jsep else {}
        self.post(
            f"{self.url}/{self.session}/{handle}", {"janus": "message", "body": body, **extra}
        )

    def event(self, handle: int, seconds: float = 20) -> dict[str, Any]:
        """The next event of ``handle`` (its plugin data, and ``jsep`` when it carries one)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for i, e in enumerate(self.pending):
                if e.get("sender") == handle and e.get("janus") == "event":
                    del self.pending[i]
                    data = dict(e["plugindata"]["data"])
                    if "jsep" in e:
                        data["jsep"] = e["jsep"]
                    return data
            query = urllib.parse.urlencode({"maxev": 10, "token": self.token})
            with urllib.request.urlopen(f"{self.url}/{self.session}?{query}", timeout=40) as r:  # noqa: S310
                got = json.loads(r.read())
            self.pending += got if isinstance(got, list) else [got]
        raise AssertionError(f"no event for handle {handle} within {seconds} s")


async def keep_alive(peers: list[JanusPeer], every: float = 20) -> None:
    """Keep these Janus sessions alive until cancelled (a long-lived viewer polls no events)."""
    while True:
        await asyncio.sleep(every)
        for peer in list(peers):
            with contextlib.suppress(OSError):
                await asyncio.to_thread(peer.keepalive)


def answer_to(peer: JanusPeer, handle: int, *keys: str) -> dict[str, Any]:
    """The first event of ``handle`` carrying one of ``keys`` (news of the room skipped)."""
    while True:
        event = peer.event(handle)
        if set(keys) & event.keys():
            return event


def join(peer: JanusPeer, room: int, room_token: str, peer_id: int) -> tuple[int, dict[str, Any]]:
    """Join the room as a participant page does (a publisher not yet sending): the handle and
    Janus's answer (``joined`` with the room's publishers, or an error)."""
    handle = peer.attach()
    peer.message(
        handle,
        {"request": "join", "ptype": "publisher", "room": room, "id": peer_id, "token": room_token},
    )
    return handle, peer.event(handle)


async def publish(peer: JanusPeer, handle: int) -> tuple[RTCPeerConnection, dict[str, Any]]:
    """Send a test picture and tone on ``handle``: the connection and Janus's answer to the
    offer (``configured``, or an error such as the room's publishers being full)."""
    pc = RTCPeerConnection()
    pc.addTrack(AudioStreamTrack())
    pc.addTrack(VideoStreamTrack())
    await pc.setLocalDescription(await pc.createOffer())
    await asyncio.to_thread(
        peer.message,
        handle,
        {"request": "configure", "audio": True, "video": True},
        {"type": "offer", "sdp": pc.localDescription.sdp},
    )
    answer = await asyncio.to_thread(answer_to, peer, handle, "jsep", "error_code", "configured")
    if "jsep" in answer:
        await pc.setRemoteDescription(RTCSessionDescription(**answer["jsep"]))
        # Janus counts a publisher once its media flow: wait for the connection.
        for _ in range(200):
            if pc.connectionState in ("connected", "failed", "closed"):
                break
            await asyncio.sleep(0.05)
    return pc, answer


@dataclass
class Viewer:
    """A receive-only subscriber: when its first video frame arrived, how many it decoded,
    and the bytes received (from aiortc's own statistics)."""

    pc: RTCPeerConnection
    started: float
    first_frame: float | None = None
    frames: int = 0
    sizes: list[tuple[int, int]] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def bytes_received(self) -> int:
        """Everything this viewer's link carried in (audio, video and their control)."""
        stats = await self.pc.getStats()
        return sum(
            int(getattr(s, "bytesReceived", 0) or 0)
            for s in stats.values()
            if s.type == "transport"
        )

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await self.pc.close()


async def subscribe(
    peer: JanusPeer, room: int, room_token: str, feed: int, substream: int | None = None
) -> tuple[Viewer, int]:
    """Subscribe to ``feed`` (receive only), asking for a simulcast ``substream`` (0 the
    lowest); the frames are counted as they are decoded."""
    handle = await asyncio.to_thread(peer.attach)
    stream: dict[str, Any] = {"feed": feed}
    if substream is not None:
        stream["substream"] = substream
    started = time.monotonic()
    await asyncio.to_thread(
        peer.message,
        handle,
        {
            "request": "join",
            "ptype": "subscriber",
            "room": room,
            "token": room_token,
            "streams": [stream],
        },
    )
    offer = await asyncio.to_thread(answer_to, peer, handle, "jsep", "error_code")
    if "jsep" not in offer:
        raise AssertionError(f"Janus refused the subscription: {offer}")
    pc = RTCPeerConnection()
    viewer = Viewer(pc, started)

    @pc.on("track")
    def on_track(track: Any) -> None:
        async def count() -> None:
            try:
                while True:
                    frame = await track.recv()
                    if track.kind != "video":
                        continue
                    viewer.frames += 1
                    if viewer.first_frame is None:
                        viewer.first_frame = time.monotonic()
                    if len(viewer.sizes) < 1000:
                        viewer.sizes.append((frame.width, frame.height))
            except MediaStreamError:
                return

        viewer.tasks.append(asyncio.ensure_future(count()))

    await pc.setRemoteDescription(RTCSessionDescription(**offer["jsep"]))
    await pc.setLocalDescription(await pc.createAnswer())
    await asyncio.to_thread(
        peer.message,
        handle,
        {"request": "start", "room": room},
        {"type": "answer", "sdp": pc.localDescription.sdp},
    )
    return viewer, handle
