"""An iCalendar (.ics) invitation, RFC 5545, written by hand: a handful of lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.http import HttpRequest

from caunoi.video.models import VideoSession


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def session_ics(session: VideoSession, request: HttpRequest) -> str:
    url = request.build_absolute_uri(session.get_absolute_url())
    end = session.scheduled_at + timedelta(minutes=session.duration_minutes)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Cau Noi//Telehealth//VI",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{session.public_id}@caunoi",
        f"DTSTAMP:{_utc(datetime.now(UTC))}",
        f"DTSTART:{_utc(session.scheduled_at)}",
        f"DTEND:{_utc(end)}",
        f"SUMMARY:{_escape(session.title)}",
        f"DESCRIPTION:{_escape(url)}",
        f"URL:{url}",
        "BEGIN:VALARM",
        "TRIGGER:-PT10M",
        "ACTION:DISPLAY",
        f"DESCRIPTION:{_escape(session.title)}",
        "END:VALARM",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"
