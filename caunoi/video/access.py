"""Only invited participants — not removed — see and join a session. Knowing the room's link
is not enough; anyone else gets 404, as for every patient-related object."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from caunoi.accounts.models import User
from caunoi.video.models import VideoParticipant, VideoSession


def visible_sessions(user: User | AnonymousUser) -> QuerySet[VideoSession]:
    if isinstance(user, AnonymousUser):
        return VideoSession.objects.none()
    invited = VideoParticipant.objects.active().filter(user_id=user.pk).values("session_id")
    return VideoSession.objects.filter(id__in=invited).as_read("video consultation")


def access_video_session(user: User | AnonymousUser, public_id: UUID | str) -> VideoSession:
    try:
        return (
            visible_sessions(user)
            .select_related("consultation", "created_by")
            .get(public_id=public_id)
        )
    except (VideoSession.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc


def is_host(user: User, session: VideoSession) -> bool:
    return (
        VideoParticipant.objects.active()
        .filter(session=session, user_id=user.pk, is_host=True)
        .exists()
    )
