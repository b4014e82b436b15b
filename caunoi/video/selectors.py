"""Reads of a video session's record for the API."""

from __future__ import annotations

from django.db.models import QuerySet

from caunoi.video.models import VideoJoin, VideoParticipant, VideoSession


def session_participants(session: VideoSession) -> QuerySet[VideoParticipant]:
    """The people invited and not removed."""
    return session.participants.active().select_related("user")


def session_joins(session: VideoSession) -> QuerySet[VideoJoin]:
    """Every time someone joined the room, with when they left."""
    return session.joins.select_related("user")
