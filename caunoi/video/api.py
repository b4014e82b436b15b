from datetime import datetime
from uuid import UUID

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import ConfigDict

from caunoi.accounts.api_auth import api_user
from caunoi.accounts.models import User
from caunoi.audit.origin import origin_of
from caunoi.consults.access import access_consultation
from caunoi.core.api import FieldErrors, NoFilters, no_filters
from caunoi.video.access import access_video_session
from caunoi.video.models import VideoSession
from caunoi.video.selectors import session_joins, session_participants
from caunoi.video.services import session_mode, video_session_schedule, video_sfu_admit
from caunoi.video.sfu import JanusError
from caunoi.video.turn import ice_servers

router = Router(tags=["video"])


class SessionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    consult: UUID | None = Field(None, description="The consultation the session is about")
    title: str = Field(..., min_length=1, max_length=200)
    scheduled_at: datetime | None = Field(None, description="Omit to call now")
    duration_minutes: int = Field(30, ge=5, le=240)
    participants: list[UUID] = Field(
        ...,
        min_length=1,
        max_length=11,
        description="User ids to invite (at most 5 without the SFU, 11 with it)",
    )


class ParticipantOut(Schema):
    id: UUID
    name: str
    host: bool


class QualityOut(Schema):
    """The averages of what the browser measured during one join (``getStats()``)."""

    samples: int = Field(description="How many measurements the averages are of")
    rtt_ms: int = Field(description="Mean round-trip time")
    loss_pct: float = Field(description="Mean packet loss")
    kbps: int = Field(description="Mean bitrate")
    worst_rtt_ms: float = Field(description="Worst round-trip time")
    weak_mode: str = Field(description="The last mode: normal, weak or audio")


class JoinOut(Schema):
    name: str
    joined_at: datetime
    left_at: datetime | None
    quality: QualityOut | None = Field(description="null until the browser has measured")


class SessionOut(Schema):
    id: UUID
    title: str
    status: str
    consult: UUID | None
    scheduled_at: datetime
    duration_minutes: int
    started_at: datetime | None
    ended_at: datetime | None
    conclusion: str
    room_url: str
    participants: list[ParticipantOut]
    joins: list[JoinOut]


class IceServerOut(Schema):
    urls: list[str]
    username: str | None = None
    credential: str | None = None


class IceOut(Schema):
    ice_servers: list[IceServerOut]


class SfuOut(Schema):
    mode: str = Field(description="mesh (peer to peer) or sfu (through Janus)")
    url: str | None = Field(None, description="Janus's API (sfu only)")
    room: int | None = Field(None, description="The session's VideoRoom")
    token: str | None = Field(None, description="Janus's signed token, for every request")
    room_token: str | None = Field(None, description="The room's token, for joining it")
    peer_id: int | None = Field(None, description="The id to join the room with")
    role: str | None = Field(
        None, description="speaker (publishes) or viewer (a teaching session's audience)"
    )


def session_out(s: VideoSession) -> dict[str, object]:
    return {
        "id": s.public_id,
        "title": s.title,
        "status": s.status,
        "consult": s.consultation.public_id if s.consultation else None,
        "scheduled_at": s.scheduled_at,
        "duration_minutes": s.duration_minutes,
        "started_at": s.started_at,
        "ended_at": s.ended_at,
        "conclusion": s.conclusion,
        "room_url": s.get_absolute_url(),
        "participants": [
            {"id": p.user.public_id, "name": p.user.full_name, "host": p.is_host}
            for p in session_participants(s)
        ],
        "joins": [
            {
                "name": j.user.full_name,
                "joined_at": j.joined_at,
                "left_at": j.left_at,
                "quality": j.quality_summary() or None,
            }
            for j in session_joins(s)
        ],
    }


@router.post("/video-sessions", response={201: SessionOut}, summary="Schedule a video session")
def create_session(request: HttpRequest, payload: SessionIn) -> Status[dict[str, object]]:
    """Invites the given people (and, from a consultation, its requester). Without
    `scheduled_at` the session starts now."""
    actor = api_user(request)
    consult = access_consultation(actor, payload.consult) if payload.consult else None
    users = list(User.objects.filter(public_id__in=payload.participants, is_active=True))
    if len(users) != len(set(payload.participants)):
        raise FieldErrors({"participants": _("Unknown person.")})
    session = video_session_schedule(
        actor=actor,
        title=payload.title,
        scheduled_at=payload.scheduled_at or timezone.now(),
        participants=users,
        consultation=consult,
        duration_minutes=payload.duration_minutes,
        origin=origin_of(request),
    )
    return Status(201, session_out(session))


@router.get(
    "/video-sessions/{session_id}", response=SessionOut, summary="One session and its record"
)
def get_session(
    request: HttpRequest, session_id: UUID, filters: NoFilters = no_filters()
) -> dict[str, object]:
    return session_out(access_video_session(request.user, session_id))


@router.get(
    "/video-sessions/{session_id}/ice-servers",
    response=IceOut,
    summary="STUN/TURN for this participant",
)
def get_ice_servers(
    request: HttpRequest, session_id: UUID, filters: NoFilters = no_filters()
) -> dict[str, object]:
    """TURN credentials are time-limited (coturn's shared-secret scheme) and issued only to
    invited participants."""
    session = access_video_session(request.user, session_id)
    return {"ice_servers": ice_servers(f"{session.public_id}:{api_user(request).public_id}")}


@router.post(
    "/video-sessions/{session_id}/sfu",
    response=SfuOut,
    summary="How this participant joins: mesh, or the SFU room with its tokens",
)
def post_sfu(request: HttpRequest, session_id: UUID) -> dict[str, object]:
    """Opens the session's room on the SFU (or adds this participant to it) and hands out the
    participant's tokens; only to invited participants (others: 404), only while the session
    can be joined. A session of a few people is a mesh: ``{"mode": "mesh"}``."""
    session = access_video_session(request.user, session_id)
    try:
        tokens = video_sfu_admit(session=session, user=api_user(request))
    except (JanusError, OSError) as exc:
        raise HttpError(503, _("The video server does not answer. Try again in a minute.")) from exc
    if tokens is None:
        return {"mode": session_mode(session)}
    return {
        "mode": "sfu",
        "url": tokens.url,
        "room": tokens.room,
        "token": tokens.token,
        "room_token": tokens.room_token,
        "peer_id": tokens.peer_id,
        "role": tokens.role,
    }
