"""The selective forwarding unit: Janus (Debian's ``janus``) and its VideoRoom plugin, run as a
separate server and driven through its HTTP API.

- **Signed tokens.** Janus runs with ``token_auth`` and ``token_auth_secret``: every request
  carries a token ``<expiry>,janus,janus.plugin.videoroom:<base64 HMAC-SHA1>`` signed with the
  shared secret (``signed_token``). Django signs its own for a minute; a participant gets one
  for ``JANUS_TOKEN_TTL_SECONDS`` (``participant_tokens``). A forged or expired token is
  refused by Janus itself.
- **One room per session, for its invited people only.** The room's id and secret are derived
  from the session (``room_id``, ``room_secret``: HMAC of the platform's secret key, so nothing
  is stored and the secret never leaves the server); the room is private and admits only the
  tokens in its ``allowed`` list — one per invited participant (``room_token``, derived from
  the participant row: a participant removed and invited again gets a new one). Each
  participant also gets the id to join with (``peer_id``), which is how a removal is carried
  out: the token leaves the list and that id is kicked.
- Every call here talks to Janus over HTTP (``JANUS_URL``); a refusal is a ``JanusError`` with
  Janus's code and reason.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Self

from django.conf import settings

from caunoi.video.models import TEACHING_MAX_SPEAKERS, VideoParticipant, VideoSession

VIDEOROOM = "janus.plugin.videoroom"
REALM = "janus"
# JavaScript's numbers hold integers exactly up to 2**53: room and peer ids stay below it.
ID_BITS = 52
# Janus's VideoRoom: "room already exists", "no such room", "no such participant".
ROOM_EXISTS = 427
NO_SUCH_ROOM = 426
NO_SUCH_FEED = 428


class JanusError(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"Janus {code}: {reason}")
        self.code = code
        self.reason = reason


def enabled() -> bool:
    return bool(settings.JANUS_URL)


def public_origin() -> str:
    """The origin (scheme, host, port) browsers reach Janus's API at."""
    parts = urllib.parse.urlsplit(settings.JANUS_PUBLIC_URL or settings.JANUS_URL)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def signed_token(ttl_seconds: int, *, now: float | None = None) -> str:
    """A Janus token for the VideoRoom plugin, valid ``ttl_seconds`` from now."""
    expiry = int((time.time() if now is None else now) + ttl_seconds)
    data = f"{expiry},{REALM},{VIDEOROOM}"
    mac = hmac.new(settings.JANUS_TOKEN_SECRET.encode(), data.encode(), hashlib.sha1).digest()
    return f"{data}:{base64.b64encode(mac).decode()}"


def _derived(purpose: str, *parts: object) -> bytes:
    text = ":".join([purpose, *(str(p) for p in parts)])
    return hmac.new(settings.SECRET_KEY.encode(), text.encode(), hashlib.sha256).digest()


def room_id(session: VideoSession) -> int:
    return int.from_bytes(_derived("janus-room", session.public_id)) >> (256 - ID_BITS) or 1


def room_secret(session: VideoSession) -> str:
    return _derived("janus-room-secret", session.public_id).hex()


def room_token(participant: VideoParticipant) -> str:
    return _derived("janus-room-token", participant.session_id, participant.pk).hex()[:40]


def peer_id(participant: VideoParticipant) -> int:
    raw = _derived("janus-peer", participant.session_id, participant.pk)
    return int.from_bytes(raw) >> (256 - ID_BITS) or 1


@dataclass(frozen=True)
class ParticipantTokens:
    """What a participant's browser needs to join the session's room."""

    url: str
    room: int
    token: str  # Janus's, signed
    room_token: str  # the room's allowed list
    peer_id: int
    role: str  # speaker (publishes) or viewer (a teaching session's audience)


def participant_tokens(participant: VideoParticipant) -> ParticipantTokens:
    return ParticipantTokens(
        url=settings.JANUS_PUBLIC_URL or settings.JANUS_URL,
        room=room_id(participant.session),
        token=signed_token(settings.JANUS_TOKEN_TTL_SECONDS),
        room_token=room_token(participant),
        peer_id=peer_id(participant),
        role=participant.role,
    )


class Janus:
    """One Janus session with a VideoRoom handle, for the server's own requests (``with``)."""

    def __init__(self, url: str | None = None, token: str | None = None) -> None:
        self.url = (url or settings.JANUS_URL).rstrip("/")
        self.token = token if token is not None else signed_token(60)
        self.session = 0
        self.handle = 0

    def __enter__(self) -> Self:
        self.session = int(self._post(self.url, {"janus": "create"})["data"]["id"])
        self.handle = int(
            self._post(f"{self.url}/{self.session}", {"janus": "attach", "plugin": VIDEOROOM})[
                "data"
            ]["id"]
        )
        return self

    def __exit__(self, *exc: object) -> None:
        if self.session:
            # Should this fail, Janus ends the idle session by itself (session_timeout).
            with contextlib.suppress(JanusError, OSError):
                self._post(f"{self.url}/{self.session}", {"janus": "destroy"})

    def _post(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        payload = {**body, "transaction": secrets.token_hex(8), "token": self.token}
        request = urllib.request.Request(  # noqa: S310 (the configured Janus, http or https)
            url,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            timeout = settings.JANUS_TIMEOUT_SECONDS
            with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
                reply: dict[str, Any] = json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            raise JanusError(exc.code, exc.reason) from exc
        if reply.get("janus") == "error":
            error = reply.get("error") or {}
            raise JanusError(int(error.get("code", 0)), str(error.get("reason", "")))
        return reply

    def request(self, body: dict[str, Any]) -> dict[str, Any]:
        """A synchronous VideoRoom request (create, destroy, exists, allowed, kick,
        listparticipants): its answer's data, or a JanusError."""
        reply = self._post(
            f"{self.url}/{self.session}/{self.handle}", {"janus": "message", "body": body}
        )
        data: dict[str, Any] = (reply.get("plugindata") or {}).get("data") or {}
        if "error_code" in data:
            raise JanusError(int(data["error_code"]), str(data.get("error", "")))
        return data


def room_open(session: VideoSession, participants: list[VideoParticipant]) -> int:
    """Make sure the session's room exists and admits these participants (idempotent: a room
    already there gets them added to its allowed list)."""
    room = room_id(session)
    tokens = [room_token(p) for p in participants]
    with Janus() as janus:
        try:
            janus.request(
                {
                    "request": "create",
                    "admin_key": settings.JANUS_ADMIN_KEY,
                    "room": room,
                    "permanent": False,
                    "description": str(session.public_id),
                    "secret": room_secret(session),
                    "is_private": True,
                    "allowed": tokens,
                    # A teaching session's viewers join without publishing; the room itself
                    # refuses a publisher beyond its speakers.
                    "publishers": (
                        TEACHING_MAX_SPEAKERS
                        if session.is_teaching
                        else settings.JANUS_ROOM_PUBLISHERS
                    ),
                    "bitrate": settings.JANUS_ROOM_BITRATE,
                    # A keyframe asked of every publisher this often (seconds): Janus switches a
                    # viewer's simulcast layer on one, and the publisher's browser makes
                    # keyframes only when asked.
                    "fir_freq": 5,
                    "notify_joining": True,
                    # Recorded only when the platform says so (after everyone agreed), which
                    # needs the room's secret; Janus writes into the platform's folder.
                    **(
                        {"rec_dir": settings.JANUS_RECORDINGS_DIR, "lock_record": True}
                        if settings.JANUS_RECORDINGS_DIR
                        else {}
                    ),
                }
            )
        except JanusError as exc:
            if exc.code != ROOM_EXISTS:
                raise
            if tokens:
                janus.request(
                    {
                        "request": "allowed",
                        "room": room,
                        "secret": room_secret(session),
                        "action": "add",
                        "allowed": tokens,
                    }
                )
    return room


def room_remove(session: VideoSession, participant: VideoParticipant) -> None:
    """Take the participant out of the room: their token leaves the allowed list (they cannot
    join again) and their peer is kicked (their streams stop for everyone)."""
    room, secret = room_id(session), room_secret(session)
    with Janus() as janus:
        try:
            janus.request(
                {
                    "request": "allowed",
                    "room": room,
                    "secret": secret,
                    "action": "remove",
                    "allowed": [room_token(participant)],
                }
            )
            janus.request(
                {"request": "kick", "room": room, "secret": secret, "id": peer_id(participant)}
            )
        except JanusError as exc:
            if exc.code not in (NO_SUCH_ROOM, NO_SUCH_FEED):
                raise


def room_kick(session: VideoSession, janus_id: int) -> None:
    """Kick whoever joined the room as ``janus_id`` (gone already: no error)."""
    with Janus() as janus:
        try:
            janus.request(
                {
                    "request": "kick",
                    "room": room_id(session),
                    "secret": room_secret(session),
                    "id": janus_id,
                }
            )
        except JanusError as exc:
            if exc.code not in (NO_SUCH_ROOM, NO_SUCH_FEED):
                raise


def room_close(session: VideoSession) -> None:
    """Destroy the session's room (everyone in it is disconnected); no room is no error."""
    with Janus() as janus:
        try:
            janus.request(
                {"request": "destroy", "room": room_id(session), "secret": room_secret(session)}
            )
        except JanusError as exc:
            if exc.code != NO_SUCH_ROOM:
                raise


def room_record(session: VideoSession, on: bool) -> None:
    """Start or stop recording every publisher of the session's room (Janus writes one file
    per stream into JANUS_RECORDINGS_DIR)."""
    with Janus() as janus:
        janus.request(
            {
                "request": "enable_recording",
                "room": room_id(session),
                "secret": room_secret(session),
                "record": on,
            }
        )


def room_participants(session: VideoSession) -> list[dict[str, Any]]:
    with Janus() as janus:
        data = janus.request({"request": "listparticipants", "room": room_id(session)})
    return list(data.get("participants") or [])
