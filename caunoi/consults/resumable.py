"""Resumable uploads of a consult form's files: the tus 1.0 protocol's state changes (core,
creation, termination, checksum and expiration; https://tus.io/protocols/resumable-upload).

A station's link may fall in the middle of a photo. The browser (or any tus client) creates an
upload for a form — its length, and in its metadata the file's name, the form (``client_id``),
the patient and the whole file's SHA-256 — then sends the bytes in pieces, each at the offset
the server last confirmed and, with a checksum, refused whole if it arrived damaged. After a
cut the client asks how much arrived (HEAD) and sends the rest. When the last byte arrives the
file's SHA-256 must match the one declared; then it is checked as an attachment is and kept for
the form (``services.pending_uploads_keep``), which attaches it when the form is sent. The
protocol's HTTP side is ``tus_views.py``.

Every refusal is a ``TusRefused`` with the status the protocol names and a message for the
person; a refused request changes nothing. The pieces wait on disk
(``RESUMABLE_UPLOAD_DIR``) until the upload completes, is terminated or expires
(``RESUMABLE_UPLOAD_HOURS``; ``resumable_expire`` runs every hour).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from caunoi.accounts.models import User
from caunoi.audit.models import AuditAction
from caunoi.audit.origin import SYSTEM, AuditOrigin
from caunoi.audit.services import audit_record
from caunoi.consults.models import RESUMABLE_UPLOAD_HOURS, PendingUpload, ResumableUpload
from caunoi.consults.services import Upload, form_patient_check, pending_uploads_keep
from caunoi.patients.access import visible_patients

VERSION = "1.0.0"
EXTENSIONS = "creation,termination,checksum,expiration"
CHECKSUMS: dict[str, Callable[[bytes], Any]] = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}
# Unfinished uploads one person may have at once (each holds disk until it expires).
OPEN_PER_PERSON = 20
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class TusRefused(Exception):
    """A request the protocol refuses: its HTTP status and a message for the person."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def parse_metadata(header: str) -> dict[str, str]:
    """``Upload-Metadata``: comma-separated ``key base64(value)`` pairs."""
    out: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in header.split(","))):
        key, _sep, value = pair.partition(" ")
        try:
            out[key] = base64.b64decode(value, validate=True).decode() if value else ""
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise TusRefused(
                400, _("The upload's description (Upload-Metadata) is not valid.")
            ) from exc
    return out


def part_path(upload: ResumableUpload) -> Path:
    return Path(settings.RESUMABLE_UPLOAD_DIR) / f"{upload.public_id}.part"


def _uuid(value: str, message: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise TusRefused(400, message) from exc


def resumable_create(
    *, actor: User, length: int, metadata: dict[str, str], origin: AuditOrigin = SYSTEM
) -> ResumableUpload:
    """A new upload for a consult form. A creation sent again (its answer lost) makes a second
    upload, as tus clients expect — they send a new upload from byte 0 —; the form still keeps
    the file once (``pending_uploads_keep`` keeps a photo once per form), and the unfinished
    first upload expires."""
    if length <= 0:
        raise TusRefused(400, _("The file is empty."))
    if length > settings.ATTACHMENT_MAX_BYTES:
        raise TusRefused(
            413,
            _("The file is too large: at most %(mb)s MB.")
            % {"mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)},
        )
    missing = [k for k in ("filename", "client_id", "patient", "sha256") if not metadata.get(k)]
    if missing:
        raise TusRefused(
            400,
            _("The upload's description lacks: %(keys)s.") % {"keys": ", ".join(missing)},
        )
    sha256 = metadata["sha256"].lower()
    if not SHA256.match(sha256):
        raise TusRefused(400, _("The file's SHA-256 must be 64 hexadecimal digits."))
    client_id = _uuid(metadata["client_id"], _("The form's identifier is not valid."))
    patient_id = _uuid(metadata["patient"], _("The patient's identifier is not valid."))
    # Someone outside the patient's care learns nothing, not even that the patient exists.
    patient = visible_patients(actor).filter(public_id=patient_id).first()
    if patient is None:
        raise TusRefused(404, _("No such patient."))
    now = timezone.now()
    with transaction.atomic():
        try:
            form_patient_check(actor, patient)
        except ValidationError as exc:
            raise TusRefused(422, exc.messages[0]) from exc
        if (
            ResumableUpload.objects.filter(
                owner=actor, completed_at__isnull=True, expires_at__gt=now
            ).count()
            >= OPEN_PER_PERSON
        ):
            raise TusRefused(
                429,
                _(
                    "You have %(n)s unfinished uploads. Let them finish or remove them before "
                    "starting another."
                )
                % {"n": OPEN_PER_PERSON},
            )
        upload = ResumableUpload.objects.create(
            owner=actor,
            patient=patient,
            client_id=client_id,
            name=metadata["filename"][:200],
            length=length,
            sha256=sha256,
            expires_at=now + timedelta(hours=RESUMABLE_UPLOAD_HOURS),
        )
        path = part_path(upload)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=patient,
            purpose="attachment",
            detail={"form": str(client_id), "resumable": upload.name, "bytes": length},
            origin=origin,
        )
    _schedule_expiry(upload.expires_at)
    return upload


def resumable_for(actor: User, public_id: uuid.UUID | str) -> ResumableUpload:
    """The person's own upload (anyone else's: 404); one past its time: 410."""
    upload = ResumableUpload.objects.filter(public_id=public_id, owner=actor).first()
    if upload is None:
        raise TusRefused(404, _("No such upload."))
    if upload.completed_at is None and upload.expires_at <= timezone.now():
        raise TusRefused(410, _("This upload was left unfinished too long. Send the file again."))
    return upload


def resumable_append(
    *,
    actor: User,
    public_id: uuid.UUID | str,
    offset: int,
    data: bytes,
    checksum: tuple[str, str] | None = None,
    origin: AuditOrigin = SYSTEM,
) -> ResumableUpload:
    """Add ``data`` at ``offset``, which must be where the upload stands. With ``checksum``
    (algorithm, base64 digest) the piece is refused whole unless it matches. The last piece
    completes the upload: the file's SHA-256 is checked, then the file as an attachment."""
    if checksum is not None:
        algorithm, digest = checksum
        if algorithm not in CHECKSUMS:
            raise TusRefused(400, _("Unknown checksum algorithm: %(a)s.") % {"a": algorithm})
        try:
            expected = base64.b64decode(digest, validate=True)
        except binascii.Error as exc:
            raise TusRefused(400, _("The checksum is not valid base64.")) from exc
        if CHECKSUMS[algorithm](data).digest() != expected:
            raise TusRefused(
                460, _("This piece arrived damaged (its checksum differs). Send it again.")
            )
    try:
        with transaction.atomic():
            upload = resumable_for(actor, public_id)
            upload = ResumableUpload.objects.select_for_update().get(pk=upload.pk)
            if offset != upload.offset:
                raise TusRefused(
                    409,
                    _(
                        "The upload stands at byte %(at)s, not %(offset)s: ask where it stands "
                        "and go on from there."
                    )
                    % {"at": upload.offset, "offset": offset},
                )
            if upload.completed_at is not None:
                if not data:
                    return upload
                raise TusRefused(409, _("This upload is already complete."))
            if offset + len(data) > upload.length:
                raise TusRefused(413, _("More bytes than the upload's announced length."))
            path = part_path(upload)
            with path.open("r+b") as part:
                part.seek(offset)
                part.write(data)
                part.truncate(offset + len(data))
            upload.offset = offset + len(data)
            if upload.offset == upload.length:
                _complete(upload, actor, origin)
            upload.save(update_fields=["offset", "completed_at", "pending"])
    except _Unusable as exc:
        # Rolled back; the upload is removed now, so that it is not resumed into the same end.
        ResumableUpload.objects.filter(pk=exc.upload.pk).delete()
        part_path(exc.upload).unlink(missing_ok=True)
        raise TusRefused(exc.status, exc.message) from exc
    return upload


class _Unusable(TusRefused):
    """A complete upload that cannot become an attachment: it is removed, not kept to resume."""

    def __init__(self, upload: ResumableUpload, status: int, message: str) -> None:
        super().__init__(status, message)
        self.upload = upload


def _complete(upload: ResumableUpload, actor: User, origin: AuditOrigin) -> None:
    path = part_path(upload)
    content = path.read_bytes()
    if hashlib.sha256(content).hexdigest() != upload.sha256:
        raise _Unusable(
            upload,
            460,
            _(
                "The file that arrived is not the one announced (its SHA-256 differs). Send it again."
            ),
        )
    before = set(
        PendingUpload.objects.filter(owner=actor, client_id=upload.client_id).values_list(
            "pk", flat=True
        )
    )
    kept, refused = pending_uploads_keep(
        actor=actor,
        patient=upload.patient,
        client_id=upload.client_id,
        uploads=[Upload(name=upload.name, data=content)],
        origin=origin,
    )
    if refused:
        raise _Unusable(upload, 422, refused[0])
    new = [p for p in kept if p.pk not in before]
    # No new row: the same photo was already kept for this form.
    upload.pending = (
        new[0] if new else next((p for p in kept if p.original_name == upload.name), None)
    )
    upload.completed_at = timezone.now()
    transaction.on_commit(lambda: path.unlink(missing_ok=True))


def resumable_terminate(
    *, actor: User, public_id: uuid.UUID | str, origin: AuditOrigin = SYSTEM
) -> None:
    """The client gives up an upload (tus termination): its bytes are removed."""
    with transaction.atomic():
        upload = (
            ResumableUpload.objects.select_for_update()
            .filter(public_id=public_id, owner=actor)
            .first()
        )
        if upload is None:
            raise TusRefused(404, _("No such upload."))
        path = part_path(upload)
        upload.delete()
        audit_record(
            actor=actor,
            action=AuditAction.DELETE,
            obj=upload.patient,
            purpose="attachment",
            detail={"form": str(upload.client_id), "resumable": upload.name},
            origin=origin,
        )
        transaction.on_commit(lambda: path.unlink(missing_ok=True))


def resumable_expire(*, now: Any = None) -> int:
    """Remove the uploads past their time, finished or not (a finished one's file is kept for
    its form as a pending upload, with its own expiry). Safe to run twice or late."""
    now = now or timezone.now()
    removed = 0
    while True:
        with transaction.atomic():
            rows = list(
                ResumableUpload.objects.filter(expires_at__lte=now).select_for_update()[:500]
            )
            if not rows:
                return removed
            ResumableUpload.objects.filter(pk__in=[r.pk for r in rows]).delete()
            transaction.on_commit(partial(_unlink, [part_path(r) for r in rows]))
        removed += len(rows)


def _unlink(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _schedule_expiry(expires_at: Any) -> None:
    from caunoi.consults.tasks import resumable_uploads_expire_task

    resumable_uploads_expire_task.using(run_after=expires_at).enqueue()
