"""WebRTC signalling for a room, at /ws/video/<session uuid>/.

The server never touches media: it admits invited participants, tells each who else is in the
room, and relays offers, answers and ICE candidates addressed to one peer of the same room.
Messages are addressed by peer id, so a selective forwarding unit can later join as one more
peer (see README.md). Close codes: 4401 not signed in, 4404 not invited or no such room,
4410 the session has ended, 4403 removed by the host.
"""

from __future__ import annotations

import json
import time
from typing import Annotated, Any, Literal

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from caunoi.accounts.models import User
from caunoi.consults.services import message_post
from caunoi.core.websocket import (
    Frame,
    FrameError,
    Kind,
    Uuid,
    read_frame,
    socket_language,
)
from caunoi.video import recordings, services
from caunoi.video.models import VideoParticipant, VideoRecording, VideoSession

RECHECK_SECONDS = 10
MAX_SIGNAL = 64 * 1024  # an SDP with many codecs and candidates stays well under this
MAX_CHAT = 2000
CLOSE_UNAUTHENTICATED, CLOSE_NOT_FOUND, CLOSE_REMOVED, CLOSE_ENDED = 4401, 4404, 4403, 4410


class _BrowserObject(BaseModel):
    """What a browser's RTCSessionDescription.toJSON() or RTCIceCandidate.toJSON() gives: fields
    a newer browser adds are dropped rather than refused, so calls keep working."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class SessionDescription(_BrowserObject):
    type: Literal["offer", "answer", "pranswer", "rollback"]
    sdp: str = ""


class IceCandidate(_BrowserObject):
    candidate: str
    sdpMid: str | None = None  # the browser's names
    sdpMLineIndex: int | None = Field(None, ge=0, le=65535)
    usernameFragment: str | None = None


class SignalData(Frame):
    sdp: SessionDescription | None = None
    candidate: IceCandidate | None = None


class Signal(Frame):
    type: Literal["signal"]
    to: Uuid
    data: SignalData


class Chat(Frame):
    type: Literal["chat"]
    text: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_CHAT)
    ]


class Quality(Frame):
    type: Literal["quality"]
    rtt: float = Field(0, ge=0, lt=60_000, allow_inf_nan=False)
    loss: float = Field(0, ge=0, le=100, allow_inf_nan=False)
    kbps: float = Field(0, ge=0, lt=100_000, allow_inf_nan=False)
    mode: Literal["normal", "weak", "audio"] = "normal"


class Ping(Frame):
    type: Literal["ping"]


class Hand(Frame):
    type: Literal["hand"]
    up: bool


class Question(Frame):
    type: Literal["question"]
    text: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_CHAT)
    ]


class Speaker(Frame):
    type: Literal["speaker"]
    user: int = Field(ge=1)
    speaker: bool


class Answered(Frame):
    type: Literal["answered"]
    id: int = Field(ge=1)


class Consent(Frame):
    type: Literal["consent"]
    recording: Uuid
    agree: bool


class Record(Frame):
    type: Literal["record"]
    on: bool


class Links(Frame):
    type: Literal["links"]


KINDS = {
    ("type", "signal"): Kind(Signal, "bad_signal"),
    ("type", "chat"): Kind(Chat, "bad_chat"),
    ("type", "quality"): Kind(Quality, "bad_quality"),
    ("type", "ping"): Kind(Ping),
    ("type", "hand"): Kind(Hand, "bad_hand"),
    ("type", "question"): Kind(Question, "bad_question"),
    ("type", "speaker"): Kind(Speaker, "bad_speaker"),
    ("type", "answered"): Kind(Answered, "bad_answered"),
    ("type", "consent"): Kind(Consent, "bad_consent"),
    ("type", "record"): Kind(Record, "bad_record"),
    ("type", "links"): Kind(Links),
}


def _refusal(exc: PermissionDenied | ValidationError) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or _("You may not do that.")


def _post_chat(
    session_id: str, user: User, text: str, kind: str = "chat"
) -> dict[str, str | int] | None:
    """In-room chat is saved into the consultation's thread when the session has one, and
    with the session otherwise (``VideoMessage``, as are a teaching session's questions)."""
    session = VideoSession.objects.select_related("consultation").get(public_id=session_id)
    try:
        if session.consultation is not None:
            if kind != "chat":
                return None  # questions belong to teaching sessions, which have no consultation
            message_post(consultation=session.consultation, actor=user, body=f"[video] {text}")
            number = 0
        else:
            number = services.video_message_post(
                session=session, user=user, kind=kind, text=text
            ).pk
    except (PermissionDenied, ValidationError):
        return None
    return {
        "id": number,
        "from": user.get_full_name(),
        "text": text,
        "at": timezone.localtime().strftime("%H:%M"),
    }


def _room_act(session_id: str, user: User, message: Frame) -> None:
    """A step someone takes in the room: a hand, the floor given or taken, a question marked
    answered, a recording asked for, stopped or answered. The services check who may, and
    tell the room after commit."""
    session = VideoSession.objects.get(public_id=session_id)
    if isinstance(message, Hand):
        services.video_hand(session=session, user=user, up=message.up)
    elif isinstance(message, Speaker):
        target = User.objects.filter(pk=message.user).first()
        if target is None:
            raise PermissionDenied(_("That person is not invited to this session."))
        services.video_speaker_set(
            session=session, actor=user, user=target, speaker=message.speaker
        )
    elif isinstance(message, Answered):
        services.video_question_answered(session=session, actor=user, message_id=message.id)
    elif isinstance(message, Record):
        if message.on:
            recordings.recording_request(session=session, actor=user)
        else:
            recordings.recording_stop(session=session, actor=user)
    elif isinstance(message, Consent):
        recording = VideoRecording.objects.filter(
            session=session, public_id=message.recording
        ).first()
        if recording is None:
            raise ValidationError(_("This question about recording is closed."))
        recordings.recording_consent(recording=recording, user=user, agree=message.agree)


def _on_joining(session_id: str, user: User) -> list[dict[str, object]]:
    """What a newcomer is told: the hands and speakers of a teaching session, and a recording
    running or asked for (they are asked too, or told)."""
    session = VideoSession.objects.get(public_id=session_id)
    told: list[dict[str, object]] = []
    if session.is_teaching:
        told.append(services.hands_payload(session))
    recording = recordings.recording_joined(session=session, user=user)
    if recording is not None:
        told.append(recording)
    return told


def _seat(session_id: str, user: User) -> tuple[bool, bool]:
    """Whether ``user`` is a teaching session's viewer, and whether its host."""
    role = services.video_role(session_id=session_id, user=user)
    hosting = (
        VideoParticipant.objects.active()
        .filter(
            session__public_id=session_id, session__kind="teaching", user_id=user.pk, is_host=True
        )
        .exists()
    )
    return role == "viewer", hosting


class VideoRoomConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]  # channels ships no types
    async def connect(self) -> None:
        user = self.scope.get("user")
        self.session_id = str(self.scope["url_route"]["kwargs"]["session_id"])
        self.join_id: int | None = None
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        joined = await database_sync_to_async(services.video_join)(
            session_id=self.session_id, user=user, channel_name=self.channel_name
        )
        if joined is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        join, stale = joined
        self.user = user
        self.viewer, self.teaching_host = await database_sync_to_async(_seat)(self.session_id, user)
        self.language = socket_language(self.scope)
        self.join_id = join.pk
        self.peer_id = str(join.peer_id)
        self.group = f"video.{self.session_id}"
        try:
            await self.channel_layer.group_add(self.group, self.channel_name)
            await self.accept()
            peers = await database_sync_to_async(services.video_room_peers)(
                session_id=self.session_id, exclude_join=join.pk
            )
            # Who is where, kept in memory and updated by join/leave events, so relaying a
            # signal needs no database query.
            self.channels = {p["peer"]: p.pop("channel") for p in peers}
            self.checked_at = time.monotonic()
            await self._send({"type": "welcome", "you": self.peer_id, "peers": peers})
            for news in await database_sync_to_async(_on_joining)(self.session_id, user):
                await self._send(news)
        except Exception:
            # Whatever failed, the join must not stay open: others would call a ghost.
            await database_sync_to_async(services.video_leave)(join_id=join.pk)
            self.join_id = None
            raise
        for peer in stale:
            await self.channel_layer.group_send(
                self.group, {"type": "live.event", "payload": {"type": "peer-left", "peer": peer}}
            )
        await self.channel_layer.group_send(
            self.group,
            {
                "type": "live.event",
                "payload": {
                    "type": "peer-joined",
                    "peer": self.peer_id,
                    "name": user.get_full_name(),
                    "user": str(user.pk),
                },
                "sender": self.channel_name,
            },
        )

    async def disconnect(self, code: int) -> None:
        if self.join_id is None:
            return
        await database_sync_to_async(services.video_leave)(join_id=self.join_id)
        await self.channel_layer.group_discard(self.group, self.channel_name)
        await self.channel_layer.group_send(
            self.group,
            {
                "type": "live.event",
                "payload": {"type": "peer-left", "peer": self.peer_id},
                "sender": self.channel_name,
            },
        )
        self.join_id = None

    async def _send(self, payload: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(payload))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # Every frame is checked before anything acts on it; a bad one is answered and
        # dropped, and the connection stays up.
        if self.join_id is None:
            return
        with translation.override(self.language):
            try:
                message = read_frame(text_data, bytes_data, max_chars=MAX_SIGNAL, kinds=KINDS)
                if isinstance(message, Signal):
                    await self._relay(message)
                elif isinstance(message, Chat):
                    await self._chat(message)
                elif isinstance(message, Quality):
                    await self._quality(message)
                elif isinstance(message, Question):
                    await self._chat(message, kind="question")
                elif isinstance(message, (Hand, Speaker, Answered, Record, Consent)):
                    try:
                        await database_sync_to_async(_room_act)(self.session_id, self.user, message)
                    except (PermissionDenied, ValidationError) as exc:
                        raise FrameError("refused", _refusal(exc)) from exc
                elif isinstance(message, Ping):
                    await self._send({"type": "pong"})
                elif isinstance(message, Links):
                    await self._links()
            except FrameError as exc:
                await self.send(text_data=exc.frame())

    async def _relay(self, message: Signal) -> None:
        if (message.data.sdp is None) == (message.data.candidate is None):
            raise FrameError("bad_signal", _("A signal carries either an sdp or a candidate."))
        # A removal or the end of the session closes the socket by an event; this periodic
        # check also covers an event lost on the way.
        if time.monotonic() - self.checked_at > RECHECK_SECONDS:
            self.checked_at = time.monotonic()
            if not await database_sync_to_async(services.video_may_stay)(join_id=self.join_id):
                await self.close(code=CLOSE_REMOVED)
                return
        channel = self.channels.get(message.to)
        if channel is None:
            channel = await database_sync_to_async(services.video_peer_channel)(
                session_id=self.session_id, peer_id=message.to
            )
        if channel is None:
            # Not in this room: never relayed elsewhere.
            raise FrameError("no_such_peer", _("That participant is not in this room."))
        data = message.data.model_dump(exclude_unset=True)
        await self.channel_layer.send(
            channel, {"type": "video.signal", "from": self.peer_id, "data": data}
        )

    async def _chat(self, message: Chat | Question, kind: str = "chat") -> None:
        saved = await database_sync_to_async(_post_chat)(
            self.session_id, self.user, message.text, kind
        )
        if saved is None:
            raise FrameError("chat_closed", _("The message could not be saved."))
        await self.channel_layer.group_send(
            self.group, {"type": "live.event", "payload": {"type": kind, **saved}}
        )

    async def _quality(self, message: Quality) -> None:
        await database_sync_to_async(services.video_quality)(
            join_id=self.join_id,
            rtt_ms=message.rtt,
            loss_pct=message.loss,
            kbps=message.kbps,
            mode=message.mode,
        )
        if self.viewer:
            return  # a teaching session's viewers have no tile: the host sees them counted
        if self.teaching_host:
            links = await database_sync_to_async(services.viewers_links)(session_id=self.session_id)
            await self._send(links)
        level = services.link_level(message.rtt, message.loss)
        await self.channel_layer.group_send(
            self.group,
            {
                "type": "live.event",
                "payload": {
                    "type": "quality",
                    "peer": self.peer_id,
                    "level": level,
                    "mode": message.mode,
                },
            },
        )

    async def _links(self) -> None:
        """The host of a teaching session asks how the viewers' links are (every 2 s)."""
        if not self.teaching_host:
            raise FrameError("refused", _("Only the host of a teaching session sees this."))
        await self._send(
            await database_sync_to_async(services.viewers_links)(session_id=self.session_id)
        )

    async def video_signal(self, event: dict[str, Any]) -> None:
        await self._send({"type": "signal", "from": event["from"], "data": event["data"]})

    async def live_event(self, event: dict[str, Any]) -> None:
        if event.get("sender") == self.channel_name:
            return
        payload = event["payload"]
        if payload.get("type") == "peer-joined" and event.get("channel"):
            self.channels[payload["peer"]] = event["channel"]
        elif payload.get("type") == "peer-left":
            self.channels.pop(payload.get("peer", ""), None)
        if payload.get("type") == "removed" and payload.get("user") == str(
            getattr(self, "user", None) and self.user.pk
        ):
            await self._send({"type": "removed"})
            await self.close(code=CLOSE_REMOVED)
            return
        if payload.get("type") == "role" and payload.get("user") == str(self.user.pk):
            self.viewer = payload.get("role") == "viewer"
        if payload.get("type") == "ended":
            await self._send({"type": "ended"})
            await self.close(code=CLOSE_ENDED)
            return
        await self._send(payload)
