"""Only invited participants — not removed — see and join a session. Knowing the room's link
is not enough; anyone else gets 404, as for every patient-related object."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.models import AnonymousUser

from caunoi.accounts.models import User
from caunoi.audit.models import AuditAction
from caunoi.audit.services import audit_record
from caunoi.core.access import get_or_404
from caunoi.video.models import (
    RecordingFile,
    RecordingStatus,
    VideoParticipant,
    VideoSession,
    VideoSessionQuerySet,
)


def visible_sessions(user: User | AnonymousUser) -> VideoSessionQuerySet:
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


def access_recording_file(
    user: User | AnonymousUser, public_id: UUID | str, file_id: UUID | str
) -> RecordingFile:
    """A part of a session's recording, for the session's own people (others: 404); every
    play is audited — as a read of the patient's data when the session is about a
    consultation (the request's read row, purpose "recording played"), otherwise by a row of
    its own."""
    session = get_or_404(
        visible_sessions(user).as_read("recording played").select_related("consultation"),
        public_id=public_id,
    )
    part = get_or_404(
        RecordingFile.objects.filter(
            recording__session=session, recording__status=RecordingStatus.READY
        ).select_related("recording", "user"),
        public_id=file_id,
    )
    if session.consultation_id is None:
        audit_record(
            actor=user,
            action=AuditAction.VIEW,
            obj=session,
            purpose="recording played",
            detail={"recording": str(part.recording.public_id), "file": str(part.public_id)},
        )
    return part
