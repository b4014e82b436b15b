"""Recording a session through the SFU, with consent.

The host asks; everyone present is asked in the room and must agree (one "no" and nothing is
recorded); someone who joins while the question is open is asked too, someone who joins while
the recording runs is told on joining. Only then does Janus record the room's publishers
(``sfu.room_record``: one ``.mjr`` file per stream, in ``JANUS_RECORDINGS_DIR``). When the
host stops, or the session ends, a background task converts each speaker's streams with
Debian's ``janus-pp-rec`` and puts them together, without re-encoding, into one WebM (VP8 and
Opus) per speaker, stored through Django's storage as part of the session record. The files
are read by the session's own people (``video.access``), every play audited, and deleted
``VIDEO_RECORDING_RETENTION_DAYS`` after the recording."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import tempfile
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import av
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from caunoi.accounts.models import User
from caunoi.audit.models import AuditAction
from caunoi.audit.origin import SYSTEM, AuditOrigin
from caunoi.audit.services import audit_record
from caunoi.notifications.live import push
from caunoi.video import sfu
from caunoi.video.models import (
    ConsentAnswer,
    RecordingConsent,
    RecordingFile,
    RecordingStatus,
    VideoJoin,
    VideoParticipant,
    VideoRecording,
    VideoSession,
)

logger = logging.getLogger(__name__)

RUNNING = (RecordingStatus.ASKING, RecordingStatus.RECORDING)
STREAM_FILE = re.compile(r"videoroom-(\d+)-user-(\d+)-(\d+)-(audio|video)-(\d+)\.mjr")


def enabled() -> bool:
    return sfu.enabled() and bool(settings.JANUS_RECORDINGS_DIR)


def _room(session: VideoSession) -> str:
    return f"video.{session.public_id}"


def state(recording: VideoRecording | None) -> dict[str, object]:
    """What the room is told of the session's recording."""
    if recording is None:
        return {"type": "recording", "state": "none"}
    return {
        "type": "recording",
        "id": str(recording.public_id),
        "state": recording.status,
        "by": recording.requested_by.get_full_name(),
    }


def current(session: VideoSession) -> VideoRecording | None:
    return (
        VideoRecording.objects.filter(session=session, status__in=RUNNING)
        .select_related("requested_by")
        .first()
    )


def _host(session: VideoSession, actor: User) -> None:
    if (
        not VideoParticipant.objects.active()
        .filter(session=session, user=actor, is_host=True)
        .exists()
    ):
        raise PermissionDenied(_("Only the host records the session."))


def recording_request(
    *, session: VideoSession, actor: User, origin: AuditOrigin = SYSTEM
) -> VideoRecording:
    """The host asks to record: everyone in the room now is asked (the host agrees by asking).
    The recording starts once all have agreed — at once when the host is alone."""
    _host(session, actor)
    if not enabled():
        raise ValidationError(_("Recording needs the video server, which is not configured."))
    if not session.is_joinable or session.sfu_room is None:
        raise ValidationError(_("Sessions are recorded while they run through the video server."))
    with transaction.atomic():
        VideoSession.objects.select_for_update().get(pk=session.pk)
        if current(session) is not None:
            raise ValidationError(_("A recording is already asked for or running."))
        recording = VideoRecording.objects.create(session=session, requested_by=actor)
        present = set(
            VideoJoin.objects.filter(session=session, left_at__isnull=True).values_list(
                "user_id", flat=True
            )
        ) | {actor.pk}
        now = timezone.now()
        RecordingConsent.objects.bulk_create(
            [
                RecordingConsent(
                    recording=recording,
                    user_id=pk,
                    answer=ConsentAnswer.AGREED if pk == actor.pk else ConsentAnswer.PENDING,
                    answered_at=now if pk == actor.pk else None,
                )
                for pk in sorted(present)
            ]
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=session,
            purpose="recording asked",
            detail={"recording": str(recording.public_id), "asked": len(present) - 1},
            origin=origin,
        )
        push(_room(session), state(recording))
    _start_when_agreed(recording)
    recording.refresh_from_db()
    return recording


def recording_consent(*, recording: VideoRecording, user: User, agree: bool) -> VideoRecording:
    """A participant answers the host's question. One refusal ends it: nothing is recorded."""
    with transaction.atomic():
        r = VideoRecording.objects.select_for_update().get(pk=recording.pk)
        if r.status != RecordingStatus.ASKING:
            raise ValidationError(_("This question about recording is closed."))
        consent = RecordingConsent.objects.filter(recording=r, user=user).first()
        if consent is None:
            raise PermissionDenied(_("You were not asked about this recording."))
        if consent.answer != ConsentAnswer.PENDING:
            return r  # answered already (a second click, a retried frame)
        consent.answer = ConsentAnswer.AGREED if agree else ConsentAnswer.DECLINED
        consent.answered_at = timezone.now()
        consent.save(update_fields=["answer", "answered_at"])
        audit_record(
            actor=user,
            action=AuditAction.UPDATE,
            obj=r.session,
            purpose="recording consent",
            detail={"recording": str(r.public_id), "answer": consent.answer},
        )
        if not agree:
            r.status = RecordingStatus.DECLINED
            r.save(update_fields=["status", "updated_at"])
            push(
                _room(r.session),
                {**state(r), "declined_by": user.get_full_name()},
            )
            return r
    _start_when_agreed(r)
    r.refresh_from_db()
    return r


def _start_when_agreed(recording: VideoRecording) -> None:
    with transaction.atomic():
        r = (
            VideoRecording.objects.select_for_update()
            .select_related("session", "requested_by")
            .get(pk=recording.pk)
        )
        if r.status != RecordingStatus.ASKING:
            return
        if r.consents.exclude(answer=ConsentAnswer.AGREED).exists():
            return
        try:
            sfu.room_record(r.session, True)
        except (sfu.JanusError, OSError) as exc:
            r.status, r.error = RecordingStatus.FAILED, str(exc)[:2000]
            r.save(update_fields=["status", "error", "updated_at"])
            push(_room(r.session), state(r))
            return
        r.status, r.started_at = RecordingStatus.RECORDING, timezone.now()
        r.save(update_fields=["status", "started_at", "updated_at"])
        audit_record(
            actor=r.requested_by,
            action=AuditAction.UPDATE,
            obj=r.session,
            purpose="recording started",
            detail={"recording": str(r.public_id)},
        )
        push(_room(r.session), state(r))


def recording_joined(*, session: VideoSession, user: User) -> dict[str, object] | None:
    """Someone comes into the room: while the host's question is open they are asked too (the
    recording waits for them); while it runs they are told (and recorded as told). Answers
    what their page shows, or None when nothing is asked or recorded."""
    with transaction.atomic():
        r = current(session)
        if r is None:
            return None
        r = VideoRecording.objects.select_for_update().select_related("requested_by").get(pk=r.pk)
        answer = (
            ConsentAnswer.TOLD if r.status == RecordingStatus.RECORDING else ConsentAnswer.PENDING
        )
        consent, created = RecordingConsent.objects.get_or_create(
            recording=r,
            user=user,
            defaults={
                "answer": answer,
                "answered_at": timezone.now() if answer == ConsentAnswer.TOLD else None,
            },
        )
        if created and answer == ConsentAnswer.TOLD:
            audit_record(
                actor=user,
                action=AuditAction.VIEW,
                obj=session,
                purpose="recording consent",
                detail={"recording": str(r.public_id), "answer": "told"},
            )
        return {**state(r), "asked": consent.answer == ConsentAnswer.PENDING}


def recording_stop(
    *, session: VideoSession, actor: User | None, origin: AuditOrigin = SYSTEM
) -> VideoRecording | None:
    """The host stops the recording (``actor`` None: the session ended); it is converted in the
    background. A question still open is withdrawn."""
    if actor is not None:
        _host(session, actor)
    with transaction.atomic():
        r = current(session)
        if r is None:
            return None
        r = VideoRecording.objects.select_for_update().get(pk=r.pk)
        if r.status == RecordingStatus.ASKING:
            r.status = RecordingStatus.DECLINED
            r.save(update_fields=["status", "updated_at"])
            push(_room(session), state(r))
            return r
        try:
            sfu.room_record(session, False)
        except (sfu.JanusError, OSError):
            # The room may be gone already (the session ended): Janus closed its files.
            logger.warning("SFU: stopping the recording of session %s failed", session.pk)
        r.status, r.stopped_at = RecordingStatus.PROCESSING, timezone.now()
        r.save(update_fields=["status", "stopped_at", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=session,
            purpose="recording stopped",
            detail={"recording": str(r.public_id)},
            origin=origin,
        )
        push(_room(session), state(r))
        from caunoi.video.tasks import recording_process_task

        pk = r.pk
        transaction.on_commit(lambda: recording_process_task.enqueue(pk))
    return r


# --- conversion (the task worker) -------------------------------------------------------------


def _mux(audio: Path | None, video: Path | None, out: Path) -> None:
    """Janus's converted audio (Ogg Opus) and video (WebM VP8) in one WebM, not re-encoded."""
    inputs = [av.open(str(p)) for p in (video, audio) if p is not None]
    try:
        with av.open(str(out), "w", format="webm") as target:
            pairs = []
            for source in inputs:
                stream = source.streams[0]
                pairs.append((source, stream, target.add_stream_from_template(stream)))
            for source, stream, copy in pairs:
                for packet in source.demux(stream):
                    if packet.dts is None:
                        continue
                    packet.stream = copy
                    target.mux(packet)
    finally:
        for source in inputs:
            source.close()


def read_back(path: Path) -> tuple[float, str, str]:
    """A media file's duration (seconds) and its video and audio codecs, as the file says."""
    with av.open(str(path)) as container:
        video = next((s.codec_context.name for s in container.streams.video), "")
        audio = next((s.codec_context.name for s in container.streams.audio), "")
        duration = (container.duration or 0) / av.time_base
    return duration, video, audio


def _convert(tool: str, mjr: Path, out: Path) -> None:
    done = subprocess.run(  # noqa: S603 (Debian's converter, our files)
        [tool, str(mjr), str(out)], capture_output=True, text=True, timeout=3600
    )
    if done.returncode != 0 or not out.exists() or out.stat().st_size == 0:
        said = (done.stderr or done.stdout or "").strip().splitlines()[-3:]
        raise RuntimeError(f"janus-pp-rec could not convert {mjr.name}: {' / '.join(said)}")


def recording_process(*, recording_id: int) -> int:
    """Convert a stopped recording: each speaker's streams into one WebM in the platform's
    storage; Janus's files are removed once kept. A stream that cannot be converted (a video
    that never got a keyframe, say) is left out and said in ``error``; the speaker's other
    stream is still kept. Answers the number of files made. Safe to run twice (a recording
    already converted is left alone)."""
    r = VideoRecording.objects.select_related("session").get(pk=recording_id)
    if r.status != RecordingStatus.PROCESSING:
        return 0
    folder = Path(settings.JANUS_RECORDINGS_DIR)
    streams: dict[int, dict[str, Path]] = defaultdict(dict)
    for path in sorted(folder.glob(f"videoroom-{r.session.sfu_room}-user-*.mjr")):
        match = STREAM_FILE.fullmatch(path.name)
        if match:
            streams[int(match.group(2))].setdefault(match.group(4), path)
    speakers = {
        sfu.peer_id(p): p.user
        for p in VideoParticipant.objects.filter(session=r.session).select_related(
            "user", "session"
        )
    }
    tool = shutil.which("janus-pp-rec")
    made, problems = 0, []
    try:
        if tool is None:
            raise RuntimeError("janus-pp-rec is not installed (apt install janus-tools).")
        with tempfile.TemporaryDirectory(prefix="caunoi-rec-") as work:
            for janus_id, kinds in sorted(streams.items()):
                converted: dict[str, Path] = {}
                for kind, mjr in kinds.items():
                    out = Path(work) / f"{janus_id}-{kind}.{'opus' if kind == 'audio' else 'webm'}"
                    try:
                        _convert(tool, mjr, out)
                    except RuntimeError as exc:
                        problems.append(str(exc))
                        continue
                    converted[kind] = out
                if not converted:
                    continue
                out = Path(work) / f"{janus_id}.webm"
                _mux(converted.get("audio"), converted.get("video"), out)
                duration, video, audio = read_back(out)
                with out.open("rb") as handle, transaction.atomic():
                    part = RecordingFile(
                        recording=r,
                        user=speakers.get(janus_id),
                        duration_seconds=round(duration, 3),
                        video_codec=video,
                        audio_codec=audio,
                        size=out.stat().st_size,
                    )
                    part.file.save(f"{janus_id}.webm", File(handle), save=True)
                made += 1
        if streams and not made:
            raise RuntimeError(" · ".join(problems) or "nothing could be converted")
    except (RuntimeError, OSError, av.FFmpegError) as exc:
        logger.exception("Recording %s could not be converted", r.pk)
        VideoRecording.objects.filter(pk=r.pk).update(
            status=RecordingStatus.FAILED, error=str(exc)[:2000], updated_at=timezone.now()
        )
        return made
    if problems:
        logger.warning("Recording %s: %s", r.pk, " · ".join(problems))
    with transaction.atomic():
        VideoRecording.objects.filter(pk=r.pk).update(
            status=RecordingStatus.READY,
            delete_after=timezone.now() + timedelta(days=settings.VIDEO_RECORDING_RETENTION_DAYS),
            error=" · ".join(problems)[:2000],
            updated_at=timezone.now(),
        )
        audit_record(
            actor=None,
            action=AuditAction.UPDATE,
            obj=r.session,
            purpose="recording converted",
            detail={"recording": str(r.public_id), "files": made},
        )
    for kinds in streams.values():
        for path in kinds.values():
            path.unlink(missing_ok=True)
    return made


def recordings_expire(*, now: object = None) -> int:
    """Delete the recordings past their retention period (the files; the row stays, marked
    deleted, in the session record). Answers how many."""
    moment = now or timezone.now()
    done = 0
    for r in VideoRecording.objects.filter(
        status=RecordingStatus.READY, delete_after__lte=moment
    ).select_related("session"):
        with transaction.atomic():
            for part in r.files.all():
                part.file.delete(save=False)
            r.files.all().delete()
            r.status = RecordingStatus.DELETED
            r.save(update_fields=["status", "updated_at"])
            audit_record(
                actor=None,
                action=AuditAction.DELETE,
                obj=r.session,
                purpose="recording deleted",
                detail={"recording": str(r.public_id)},
            )
        done += 1
    return done
