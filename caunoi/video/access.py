"""Only invited participants — not removed — see and join a session. Knowing the room's link
is not enough; anyone else gets 404, as for every patient-related object."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from caunoi.accounts.models import User
from caunoi.core.access import get_or_404
from caunoi.video.models import VideoParticipant, VideoSession


def visible_sessions(user: User | AnonymousUser) -> QuerySet[VideoSession]:
    if isinstance(user, AnonymousUser):
        return VideoSession.objects.none()
    invited = VideoParticipant.objects.active().filter(user_id=user.pk).values("session_id")
    return VideoSession.objects.filter(id__in=invited).as_read("video consultation")


def access_video_session(user: User | AnonymousUser, public_id: UUID | str) -> VideoSession:
    return get_or_404(
        visible_sessions(user).select_related("consultation", "created_by"), public_id=public_id
    )


def is_host(user: User, session: VideoSession) -> bool:
    return (
        VideoParticipant.objects.active()
        .filter(session=session, user_id=user.pk, is_host=True)
        .exists()
    )
