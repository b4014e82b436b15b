"""Every change to a consultation. Each function takes the acting user, checks what they may
do (``consult_permissions``), runs in one transaction with its timeline event and audit row,
and notifies people after the commit."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Case, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from caunoi.accounts.models import User
from caunoi.audit.models import AuditAction
from caunoi.audit.origin import SYSTEM, AuditOrigin
from caunoi.audit.services import audit_record, record_step
from caunoi.codes.models import IcdCode
from caunoi.consults.access import case_invite_check, consult_permissions
from caunoi.consults.models import (
    PENDING_UPLOAD_HOURS,
    SUMMARY_FIELDS,
    SUMMARY_TEXT_FIELDS,
    Attachment,
    Consciousness,
    Consultation,
    ConsultationEventKind,
    Message,
    OnCallShift,
    Outcome,
    Participant,
    ParticipantVia,
    PendingUpload,
    Status,
    Urgency,
    deadline_minutes,
)
from caunoi.consults.queue_cache import queue_versions_bump
from caunoi.consults.routing import hub_staff, route
from caunoi.core.files import ProcessedFile, process_upload
from caunoi.core.timeline import record_event
from caunoi.network.access import user_scope
from caunoi.network.models import Facility, Membership, Role, Specialty
from caunoi.notifications.live import consult_group, hub_group, push
from caunoi.notifications.messages import in_each_language
from caunoi.notifications.services import notify
from caunoi.patients.access import visible_patients
from caunoi.patients.models import Patient
from caunoi.patients.services import has_consent
from caunoi.protocols.models import ProtocolVersion
from caunoi.triage import engine as triage
from caunoi.triage.present import not_fitting_message


@dataclass
class Upload:
    name: str
    data: bytes


@dataclass
class ConsultationInput:
    patient: Patient
    specialty: Specialty
    urgency: str = Urgency.ROUTINE
    summary: dict[str, Any] = field(default_factory=dict)
    uploads: list[Upload] = field(default_factory=list)
    # The danger signs (caunoi/triage): consciousness on the ACVPU scale, the ids of the signs
    # ticked, and why the urgency is lower than the signs imply (required then).
    consciousness: str = ""
    signs_found: list[str] = field(default_factory=list)
    urgency_reason: str = ""


def _measurement(value: Any) -> float | None:
    try:
        return None if value in (None, "") else float(value)
    except (TypeError, ValueError):
        return None  # refused with its own message by the model's validation


def _triage_inputs(patient: Patient, data: ConsultationInput) -> triage.Inputs:
    """What the check reads; a consciousness or sign the rules do not know is left out (the
    submission refuses it with its own message, and the check must not fail before)."""
    known = set(triage.sign_ids())
    return triage.Inputs.of(
        age_months=triage.age_in_months(patient.birth_date, timezone.localdate()),
        sex=patient.sex,
        measurements={name: _measurement(data.summary.get(name)) for name in triage.MEASUREMENTS},
        consciousness=data.consciousness if data.consciousness in triage.CONSCIOUSNESS else "",
        signs=[s for s in data.signs_found if s in known],
    )


def danger_sign_check(patient: Patient, data: ConsultationInput) -> triage.Result:
    """The rules run on what the station entered, for this patient's age and sex today."""
    return triage.check(_triage_inputs(patient, data))


def _broadcast(c: Consultation, event: str) -> None:
    """After commit: tell open pages of this consult, its hub's queues and the requesting
    facility's lists that something changed (they fetch the new state themselves)."""
    payload = {"type": "consult", "id": str(c.public_id), "event": event}
    hub_id, facility_id = c.hub_id, c.requester_facility_id

    def send() -> None:
        # First the cached lists (queue_cache), so that a page reloading on the push below
        # renders the change.
        queue_versions_bump(hub_ids=[hub_id], facility_ids=[facility_id])
        push(consult_group(c.public_id), payload)
        if c.hub_id:
            push(hub_group(c.hub_id), payload)
        push(f"facility.{c.requester_facility_id}", payload)

    transaction.on_commit(send)


def _lock(
    c: Consultation, actor: User | None = None, permission: str = "", message: str = ""
) -> Consultation:
    """Re-read the consult under a row lock and, with ``permission``, check again on the fresh
    row: another request may have cancelled, answered or re-routed it since the caller read it."""
    row = Consultation.objects.select_for_update().get(pk=c.pk)
    if permission and not getattr(consult_permissions(actor, row), permission):
        raise _refuse(message or _("This consultation has changed; reload the page."))
    return row


def _refuse(message: str) -> PermissionDenied:
    return PermissionDenied(message)


# --- drafts and submission -------------------------------------------------------------------


def consultation_submit(
    *,
    actor: User,
    client_id: uuid.UUID,
    data: ConsultationInput,
    submit: bool,
    origin: AuditOrigin = SYSTEM,
) -> tuple[Consultation, bool]:
    """Save a draft (``submit=False``) or submit. Idempotent on (actor, client_id): the same id
    again updates the same draft, and once submitted returns the consult unchanged — so a double
    click or a retry after a dropped connection makes exactly one consultation. Answers the
    consult and whether this call created its row (False for a retry or its concurrent twin)."""
    existing = Consultation.objects.filter(requester=actor, client_id=client_id).first()
    if existing is not None and existing.status != Status.DRAFT:
        return existing, False
    patient = data.patient
    form_patient_check(actor, patient)
    errors: dict[str, list[str]] = {}
    if data.urgency not in Urgency.values:
        errors["urgency"] = [_("Choose the urgency.")]
    if data.consciousness not in ("", *Consciousness.values):
        errors["consciousness"] = [_("Choose the consciousness on the AVPU scale.")]
    unknown = sorted(set(data.signs_found) - set(triage.sign_ids()))
    if unknown:
        errors["signs_found"] = [_("Unknown signs: %(ids)s.") % {"ids": ", ".join(unknown)}]
    inputs = _triage_inputs(patient, data)
    check = triage.check(inputs)
    stray = triage.not_fitting(inputs)
    if submit and stray and "signs_found" not in errors:
        # A sign kept on a draft may no longer fit (a birthday since), or an API client sent one
        # that never did: read as not ticked, it must not pass unseen.
        errors["signs_found"] = [not_fitting_message(stray)]
    reason = data.urgency_reason.strip()
    lowered = data.urgency in Urgency.values and triage.lower_than(data.urgency, check.urgency)
    if submit and lowered and not reason:
        errors["urgency_reason"] = [
            _("The danger signs call for “%(urgency)s”. To send it as less urgent, write why.")
            % {"urgency": Urgency(check.urgency).label}
        ]
    if len(reason) > 2000:
        errors["urgency_reason"] = [_("At most 2,000 characters.")]
    hub: Facility | None = None
    if submit:
        if not has_consent(patient):
            errors["patient"] = [
                _("Record the patient's consent to teleconsultation before sending the case.")
            ]
        if not str(data.summary.get("question") or "").strip():
            errors["question"] = [_("Write the question to the specialist.")]
        hub = route(patient.facility, data.specialty)
        if hub is None:
            errors["specialty"] = [
                _(
                    "No hub supports your facility in this specialty. Choose another specialty or ask your network administrator."
                )
            ]
    if errors:
        raise ValidationError(errors)
    try:
        with _files_removed_on_error(), transaction.atomic():
            if existing is not None:
                c = _lock(existing)
                if c.status != Status.DRAFT:
                    return c, False
            else:
                c = Consultation(
                    client_id=client_id, requester=actor, requester_facility=patient.facility
                )
            c.patient = patient
            c.requester_facility = patient.facility
            c.specialty = data.specialty
            c.urgency = data.urgency
            for name in SUMMARY_FIELDS:
                value = data.summary.get(name)
                if name in SUMMARY_TEXT_FIELDS:
                    value = str(value or "").strip()
                elif value == "":
                    value = None
                setattr(c, name, value)
            c.consciousness = data.consciousness
            c.signs_found = [i for i in triage.sign_ids() if i in set(data.signs_found)]
            c.triage = check.as_dict()
            c.triage_urgency = check.urgency if check.has_signs else ""
            c.urgency_reason = reason if lowered else ""
            c.full_clean(
                exclude=["requester", "requester_facility", "patient", "specialty", "client_id"],
                validate_constraints=False,
            )
            creating = c.pk is None
            c.save()
            if creating:
                record_event(c, ConsultationEventKind.CREATED, actor=actor)
            # With the files this form sent before it came back with an error.
            kept = PendingUpload.objects.select_for_update().filter(
                owner=actor, client_id=client_id, patient=patient
            )
            _add_uploads(c, actor, data.uploads, origin=origin, pending=list(kept))
            if submit and hub is not None:
                now = timezone.now()
                c.status = Status.SUBMITTED
                c.hub = hub
                c.submitted_at = now
                c.deadline_at = now + timedelta(minutes=deadline_minutes(hub.id, c.urgency))
                record_step(
                    obj=c,
                    fields=["status", "hub", "submitted_at", "deadline_at"],
                    kind=ConsultationEventKind.SUBMITTED,
                    actor=actor,
                    action=AuditAction.CREATE,
                    purpose="teleconsultation request",
                    audit_detail={
                        "hub": hub.name,
                        "danger_signs": [sign.id for sign in check.signs],
                        "rules": check.version,
                        "urgency_lowered": lowered,
                    },
                    origin=origin,
                )
                record_event(c, ConsultationEventKind.ROUTED, actor=actor, detail={"hub": hub.name})
                _schedule_deadline(c)
                _notify_hub(c, actor)
                _broadcast(c, "submitted")
            else:
                audit_record(
                    actor=actor,
                    action=AuditAction.UPDATE if not creating else AuditAction.CREATE,
                    obj=c,
                    purpose="draft",
                    origin=origin,
                )
                # Drafts are in the facility's "My consultations" (no live push for them).
                facility_id = c.requester_facility_id
                transaction.on_commit(
                    lambda: queue_versions_bump(facility_ids=[facility_id]), robust=True
                )
    except IntegrityError:
        # Two requests with the same id at once: the database let one in; answer with it.
        winner = Consultation.objects.filter(requester=actor, client_id=client_id).first()
        if winner is None:
            raise
        return winner, False
    return c, creating


def _schedule_deadline(c: Consultation) -> None:
    from caunoi.consults.tasks import consultation_deadline_check

    # Enqueued inside the caller's transaction: the task queue is a table of the same database,
    # so the deadline check commits with the submission or not at all (after the commit, a
    # crash of the database could lose it while the submission stays).
    consultation_deadline_check.using(run_after=c.deadline_at).enqueue(c.pk)


def _on_call(c: Consultation, now: Any) -> list[User]:
    shifts = OnCallShift.objects.at(now).filter(hub_id=c.hub_id).select_related("user")
    return [s.user for s in shifts if s.specialty_id in (None, c.specialty_id)]


def _notify_hub(c: Consultation, actor: User) -> None:
    """Tell the hub's coordinators and the specialists of the specialty. An emergency with
    danger signs also goes at once to whoever is on call: its clock started with the sending,
    and nobody waits for the deadline to pass to hear of it."""
    assert c.hub_id is not None  # only routed consults notify a hub
    people = hub_staff(
        c.hub_id, roles=(Role.COORDINATOR, Role.SPECIALIST), specialty_id=c.specialty_id
    )
    assert c.deadline_at is not None  # set when it was routed
    params: dict[str, Any] = {
        "urgency": in_each_language(c.get_urgency_display),
        "specialty": in_each_language(lambda: c.specialty.name),
        "facility": c.requester_facility.name,
        "deadline": c.deadline_at,
    }
    message = "consult.new"
    if c.triage_urgency == Urgency.EMERGENCY and c.urgency == Urgency.EMERGENCY:
        message = "consult.danger"
        people = list({u.pk: u for u in [*people, *_on_call(c, timezone.now())]}.values())
    # No patient identifiers, nor the signs (clinical details that, with the station and the
    # hour, may point to a patient): notifications may leave the platform by email or SMS.
    notify(
        users=people,
        message=message,
        params=params,
        url=c.get_absolute_url(),
        exclude=actor,
    )


def consultation_cancel(
    *, consultation: Consultation, actor: User, origin: AuditOrigin = SYSTEM
) -> Consultation:
    if not consult_permissions(actor, consultation).can_cancel:
        raise _refuse(_("This consultation can no longer be cancelled."))
    with transaction.atomic():
        c = _lock(
            consultation, actor, "can_cancel", _("This consultation can no longer be cancelled.")
        )
        if c.status not in (Status.DRAFT, Status.SUBMITTED):
            raise _refuse(_("This consultation can no longer be cancelled."))
        c.status = Status.CANCELLED
        c.closed_at = timezone.now()
        record_step(
            obj=c,
            fields=["status", "closed_at"],
            kind=ConsultationEventKind.CANCELLED,
            actor=actor,
            purpose="cancelled",
            origin=origin,
        )
        _broadcast(c, "cancelled")
    return c


# --- attachments -------------------------------------------------------------------------------


def _add_uploads(
    c: Consultation,
    actor: User,
    uploads: Iterable[Upload],
    *,
    message: Message | None = None,
    origin: AuditOrigin = SYSTEM,
    pending: Iterable[PendingUpload] = (),
) -> list[Attachment]:
    """Check and store ``uploads`` as attachments of ``c``, with the files the form had already
    sent (``pending``, checked when they came: only copied now, then let go)."""
    uploads = list(uploads)
    pending = list(pending)
    if not uploads and not pending:
        return []
    count = Attachment.objects.filter(consultation=c).count()
    if count + len(uploads) + len(pending) > settings.ATTACHMENTS_PER_CONSULT:
        raise ValidationError({"attachments": [_too_many_files()]})
    added = []
    errors = []
    processed = [(p.original_name, _processed(p)) for p in pending]
    for upload in uploads:
        try:
            processed.append((upload.name, process_upload(upload.data, upload.name)))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        # One bad file refuses the whole submission: nothing half-saved.
        raise ValidationError({"attachments": errors})
    for name, p in processed:
        if Attachment.objects.filter(consultation=c, sha256=p.sha256).exists():
            continue  # The same photo sent again (a retry): keep one.
        a = Attachment(
            consultation=c,
            message=message,
            uploaded_by=actor,
            original_name=name[:200],
            kind=p.kind,
            content_type=p.content_type,
            size=len(p.content),
            sha256=p.sha256,
            width=p.width,
            height=p.height,
        )
        a.file.save(f"{p.sha256}.{p.extension}", ContentFile(p.content), save=False)
        if p.thumbnail is not None:
            a.thumbnail.save(f"{p.sha256}_thumb.jpg", ContentFile(p.thumbnail), save=False)
        a.save()
        _remove_file_on_rollback(a)
        added.append(a)
        record_event(
            c,
            ConsultationEventKind.ATTACHMENT,
            actor=actor,
            detail={"name": a.original_name, "file_kind": a.kind},
        )
    if pending:
        PendingUpload.objects.filter(pk__in=[p.pk for p in pending]).delete()
        _remove_files_on_commit(pending)
    if added:
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=c,
            purpose="attachment",
            detail={"files": [a.original_name for a in added]},
            origin=origin,
        )
    return added


def _too_many_files() -> str:
    return _("A consultation holds at most %(limit)s files.") % {
        "limit": settings.ATTACHMENTS_PER_CONSULT
    }


def _processed(p: PendingUpload) -> ProcessedFile:
    """A kept file as ``process_upload`` made it when it came (its bytes read back)."""
    with p.file.open("rb") as f:
        content = f.read()
    thumbnail = None
    if p.thumbnail:
        with p.thumbnail.open("rb") as f:
            thumbnail = f.read()
    return ProcessedFile(
        content=content,
        thumbnail=thumbnail,
        kind=p.kind,
        content_type=p.content_type,
        extension=(p.file.name or "").rsplit(".", 1)[-1],
        sha256=p.sha256,
        width=p.width,
        height=p.height,
    )


def _remove_files_on_commit(rows: Iterable[PendingUpload]) -> None:
    names = [(f.storage, f.name) for r in rows for f in (r.file, r.thumbnail) if f and f.name]

    def remove() -> None:
        for storage, name in names:
            storage.delete(name)

    transaction.on_commit(remove)


_WRITTEN: ContextVar[list[tuple[Any, str]] | None] = ContextVar(
    "caunoi_written_files", default=None
)


def _remove_file_on_rollback(a: Attachment | PendingUpload) -> None:
    written = _WRITTEN.get()
    if written is not None:
        written.extend((a.file.storage, f.name) for f in (a.file, a.thumbnail) if f and f.name)


@contextmanager
def _files_removed_on_error() -> Iterator[None]:
    """Files are written before the transaction commits. If the transaction fails, remove them,
    so no orphan patient photo stays on disk without a record pointing to it."""
    written: list[tuple[Any, str]] = []
    token = _WRITTEN.set(written)
    try:
        yield
    except BaseException:
        for storage, name in written:
            storage.delete(name)
        raise
    finally:
        _WRITTEN.reset(token)


def attachments_add(
    *,
    consultation: Consultation,
    actor: User,
    uploads: list[Upload],
    origin: AuditOrigin = SYSTEM,
) -> list[Attachment]:
    if not consult_permissions(actor, consultation).can_attach:
        raise _refuse(_("You cannot add files to this consultation."))
    with _files_removed_on_error(), transaction.atomic():
        c = _lock(consultation, actor, "can_attach")
        added = _add_uploads(c, actor, uploads, origin=origin)
        _first_response_if_hub(c, actor)
        _broadcast(c, "attachment")
    return added


# --- files kept for a consult form that came back with an error ---------------------------------


def pending_uploads_keep(
    *,
    actor: User,
    patient: Patient,
    client_id: uuid.UUID,
    uploads: list[Upload],
    origin: AuditOrigin = SYSTEM,
) -> tuple[list[PendingUpload], list[str]]:
    """Keep the files sent with a consult form that came back with an error (a missing question,
    an impossible temperature…), so that the next sending of the form need not carry them again
    over a slow link. Each file is checked as an attachment is (``files.process_upload``) and
    stored for the form (``client_id``) and ``actor`` only, until ``consultation_submit`` with
    the same form attaches it or it expires (``PENDING_UPLOAD_HOURS``; ``tasks`` removes it).
    Answers every file now kept for the form, and a message per file refused."""
    form_patient_check(actor, patient)
    refused: list[str] = []
    held = PendingUpload.objects.filter(owner=actor, client_id=client_id)
    draft = Consultation.objects.filter(requester=actor, client_id=client_id).first()
    room = settings.ATTACHMENTS_PER_CONSULT - held.count()
    if draft is not None:
        room -= Attachment.objects.filter(consultation=draft).count()
    known = set(held.values_list("sha256", flat=True))
    expires_at = timezone.now() + timedelta(hours=PENDING_UPLOAD_HOURS)
    kept: list[PendingUpload] = []
    with _files_removed_on_error(), transaction.atomic():
        for upload in uploads:
            try:
                p = process_upload(upload.data, upload.name)
            except ValidationError as exc:
                refused.extend(exc.messages)
                continue
            if p.sha256 in known:
                continue  # the same photo sent again with the same form
            if len(kept) >= room:
                refused.append(_too_many_files())
                break
            row = PendingUpload(
                owner=actor,
                patient=patient,
                client_id=client_id,
                original_name=upload.name[:200],
                kind=p.kind,
                content_type=p.content_type,
                size=len(p.content),
                sha256=p.sha256,
                width=p.width,
                height=p.height,
                expires_at=expires_at,
            )
            row.file.save(f"{p.sha256}.{p.extension}", ContentFile(p.content), save=False)
            if p.thumbnail is not None:
                row.thumbnail.save(f"{p.sha256}_thumb.jpg", ContentFile(p.thumbnail), save=False)
            row.save()
            _remove_file_on_rollback(row)
            known.add(p.sha256)
            kept.append(row)
        if kept:
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                obj=patient,
                purpose="attachment",
                detail={"form": str(client_id), "files": [r.original_name for r in kept]},
                origin=origin,
            )
            _schedule_pending_expiry(expires_at)
    return list(PendingUpload.objects.filter(owner=actor, client_id=client_id)), refused


def pending_uploads_discard(
    *,
    actor: User,
    client_id: uuid.UUID,
    public_ids: Iterable[uuid.UUID | str],
    origin: AuditOrigin = SYSTEM,
) -> int:
    """The worker removes kept files from the form (its "remove" boxes). Only their own."""
    ids = []
    for value in public_ids:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    with transaction.atomic():
        rows = list(
            PendingUpload.objects.select_for_update().filter(
                owner=actor, client_id=client_id, public_id__in=ids
            )
        )
        if not rows:
            return 0
        PendingUpload.objects.filter(pk__in=[r.pk for r in rows]).delete()
        _remove_files_on_commit(rows)
        audit_record(
            actor=actor,
            action=AuditAction.DELETE,
            obj=rows[0].patient,
            purpose="attachment",
            detail={"form": str(client_id), "files": [r.original_name for r in rows]},
            origin=origin,
        )
    return len(rows)


def pending_uploads_expire(*, now: Any = None) -> int:
    """Remove the kept files whose form was never sent again (run by the task scheduled when
    they were kept; safe to run twice or late). Answers how many were removed."""
    with transaction.atomic():
        rows = list(PendingUpload.objects.expired(now).select_for_update()[:1000])
        if not rows:
            return 0
        PendingUpload.objects.filter(pk__in=[r.pk for r in rows]).delete()
        _remove_files_on_commit(rows)
    return len(rows)


def _schedule_pending_expiry(expires_at: Any) -> None:
    from caunoi.consults.tasks import pending_uploads_expire_task

    # In the caller's transaction, like the deadline check: the task row commits with the files.
    pending_uploads_expire_task.using(run_after=expires_at).enqueue()


def form_patient_check(actor: User, patient: Patient) -> None:
    """The patient of a consult form must be one of the actor's own facility's."""
    if (
        not visible_patients(actor)
        .filter(pk=patient.pk, facility_id__in=user_scope(actor).facility_ids)
        .exists()
    ):
        raise ValidationError({"patient": _("Choose a patient of your facility.")})


# --- discussion ------------------------------------------------------------------------------


def _is_hub_person(c: Consultation, actor: User) -> bool:
    scope = user_scope(actor)
    return (c.hub_id in scope.hub_ids) or Participant.objects.active().filter(
        consultation=c, user_id=actor.pk
    ).exists()


def _first_response_if_hub(c: Consultation, actor: User) -> None:
    """The first word from the hub side (message, file or advice) stops the deadline clock."""
    if c.first_response_at is None and c.is_open and _is_hub_person(c, actor):
        c.first_response_at = timezone.now()
        c.save(update_fields=["first_response_at", "updated_at"])


def _thread_people(c: Consultation) -> list[User]:
    people: dict[int, User] = {c.requester_id: c.requester}
    if c.specialist_id:
        people[c.specialist_id] = c.specialist  # type: ignore[assignment]
    for p in Participant.objects.active().filter(consultation=c).select_related("user"):
        people[p.user_id] = p.user
    for m in Message.objects.filter(consultation=c).select_related("author"):
        people[m.author_id] = m.author
    if c.specialist_id is None and c.hub_id:
        for u in hub_staff(c.hub_id, roles=(Role.COORDINATOR,)):
            people[u.pk] = u
    return list(people.values())


def message_post(
    *,
    consultation: Consultation,
    actor: User,
    body: str,
    parent: Message | None = None,
    uploads: list[Upload] | None = None,
    client_id: uuid.UUID | None = None,
    origin: AuditOrigin = SYSTEM,
) -> tuple[Message, bool]:
    """Write in the thread. Idempotent on (actor, ``client_id``) when one is given: answers the
    message and whether this call created it (False for a retry or its concurrent twin)."""
    if not consult_permissions(actor, consultation).can_message:
        raise _refuse(_("You cannot write in this consultation."))
    body = body.strip()
    if not body and not uploads:
        raise ValidationError({"body": [_("Write a message or attach a file.")]})
    if len(body) > 10_000:
        raise ValidationError({"body": [_("A message holds at most 10,000 characters.")]})
    if parent is not None and parent.consultation_id != consultation.pk:
        raise ValidationError({"parent": [_("That message belongs to another consultation.")]})
    if client_id is not None:
        existing = Message.objects.filter(author=actor, client_id=client_id).first()
        if existing is not None:
            return existing, False
    try:
        with _files_removed_on_error(), transaction.atomic():
            c = _lock(consultation, actor, "can_message")
            m = Message.objects.create(
                consultation=c, author=actor, body=body, parent=parent, client_id=client_id
            )
            _add_uploads(c, actor, uploads or [], message=m, origin=origin)
            _first_response_if_hub(c, actor)
            record_step(
                obj=c,
                kind=ConsultationEventKind.MESSAGE,
                actor=actor,
                purpose="message",
                origin=origin,
            )
            notify(
                users=_thread_people(c),
                message="consult.message",
                params={
                    "author": actor.get_full_name(),
                    "specialty": in_each_language(lambda: c.specialty.name),
                },
                url=c.get_absolute_url(),
                exclude=actor,
            )
            _broadcast(c, "message")
    except IntegrityError:
        # The same message sent twice at once: the database let one in; answer with it.
        winner = Message.objects.filter(author=actor, client_id=client_id).first()
        if client_id is None or winner is None:
            raise
        return winner, False
    return m, True


def second_opinion_invite(
    *, consultation: Consultation, actor: User, invitee: User, origin: AuditOrigin = SYSTEM
) -> Participant:
    """The hub asks a colleague for a second opinion: a lasting place in the case."""
    if not consult_permissions(actor, consultation).can_invite:
        raise _refuse(_("You cannot invite colleagues to this consultation."))
    try:
        case_invite_check(actor=actor, consultation=consultation, invitee=invitee)
    except ValidationError as exc:
        raise ValidationError({"invitee": exc.messages}) from exc
    with transaction.atomic():
        c = _lock(consultation, actor, "can_invite")
        participant, created = Participant.objects.get_or_create(
            consultation=c, user=invitee, defaults={"invited_by": actor}
        )
        upgraded = not created and participant.via != ParticipantVia.SECOND_OPINION
        if upgraded or participant.removed_at is not None:
            # A guest of a video session (or someone whose guest access ended) is now asked
            # for an opinion: the place in the case no longer depends on the session.
            participant.via = ParticipantVia.SECOND_OPINION
            participant.video_session = None
            participant.ends_at = None
            participant.removed_at = None
            participant.invited_by = actor
            participant.save(
                update_fields=["via", "video_session", "ends_at", "removed_at", "invited_by"]
            )
        if created or upgraded:
            record_step(
                obj=c,
                kind=ConsultationEventKind.INVITED,
                actor=actor,
                detail={"invitee": invitee.get_full_name()},
                purpose="second opinion",
                audit_detail={"invitee": invitee.username},
                origin=origin,
            )
            notify(
                users=[invitee],
                message="consult.invited",
                params={"specialty": in_each_language(lambda: c.specialty.name)},
                url=c.get_absolute_url(),
            )
            _broadcast(c, "invited")
    return participant


def case_guest_admit(
    *,
    consultation: Consultation,
    actor: User,
    invitee: User,
    session_id: uuid.UUID,
    until: Any,
    origin: AuditOrigin = SYSTEM,
) -> bool:
    """Give a guest of a video session about the case sight of it until ``until`` (the
    session's end), unless they already have a place in it. Must run inside the caller's
    transaction; the caller has checked ``case_invite_check``. Answers whether a grant was
    made or renewed."""
    row = Participant.objects.select_for_update().filter(consultation=consultation, user=invitee)
    existing = row.first()
    if (
        existing is not None
        and existing.via == ParticipantVia.SECOND_OPINION
        and existing.removed_at is None
    ):
        return False
    if existing is None:
        Participant.objects.create(
            consultation=consultation,
            user=invitee,
            invited_by=actor,
            via=ParticipantVia.VIDEO,
            video_session=session_id,
            ends_at=until,
        )
    else:
        existing.via = ParticipantVia.VIDEO
        existing.video_session = session_id
        existing.ends_at = until
        existing.removed_at = None
        existing.invited_by = actor
        existing.save(update_fields=["via", "video_session", "ends_at", "removed_at", "invited_by"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=consultation,
        purpose="video guest admitted",
        detail={"guest": invitee.username, "session": str(session_id)},
        origin=origin,
    )
    return True


def case_guest_release(
    *,
    consultation: Consultation,
    session_id: uuid.UUID,
    actor: User,
    users: Iterable[User] | None = None,
    origin: AuditOrigin = SYSTEM,
) -> list[int]:
    """End the sight of the case that a video session gave its guests (all of them, or
    ``users``): removal from the session or its end leaves no access behind. Must run inside
    the caller's transaction. Answers the ids of the people whose access ended."""
    grants = Participant.objects.filter(
        consultation=consultation,
        via=ParticipantVia.VIDEO,
        video_session=session_id,
        removed_at__isnull=True,
    )
    if users is not None:
        grants = grants.filter(user__in=list(users))
    ended = list(grants.values_list("user_id", flat=True))
    if ended:
        grants.update(removed_at=timezone.now())
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=consultation,
            purpose="video guest access ended",
            detail={"session": str(session_id), "users": ended},
            origin=origin,
        )
        _broadcast(consultation, "guests")
    return ended


# --- the hub: triage, assignment, advice ---------------------------------------------------------


def consultation_assign(
    *, consultation: Consultation, actor: User, specialist: User, origin: AuditOrigin = SYSTEM
) -> Consultation:
    if not consult_permissions(actor, consultation).can_assign:
        raise _refuse(_("Only the hub's coordinators assign consultations."))
    if (
        not Membership.objects.active()
        .filter(user=specialist, facility_id=consultation.hub_id or 0, role=Role.SPECIALIST)
        .exists()
    ):
        raise ValidationError({"specialist": [_("Choose a specialist of this hub.")]})
    with transaction.atomic():
        c = _lock(consultation, actor, "can_assign")
        c.specialist = specialist
        c.assigned_at = timezone.now()
        if c.status == Status.SUBMITTED:
            c.status = Status.ASSIGNED
        record_step(
            obj=c,
            fields=["specialist", "assigned_at", "status"],
            kind=ConsultationEventKind.ASSIGNED,
            actor=actor,
            detail={"specialist": specialist.get_full_name()},
            purpose="assignment",
            audit_detail={"specialist": specialist.username},
            origin=origin,
        )
        notify(
            users=[specialist],
            message="consult.assigned",
            params={
                "urgency": in_each_language(c.get_urgency_display),
                "specialty": in_each_language(lambda: c.specialty.name),
            },
            url=c.get_absolute_url(),
            exclude=actor,
        )
        _broadcast(c, "assigned")
    return c


def consultation_claim(
    *, consultation: Consultation, actor: User, origin: AuditOrigin = SYSTEM
) -> Consultation:
    """A specialist takes an unassigned consult of their specialty. Two specialists claiming at
    once: the row lock lets one in; the other is told it is taken."""
    if not consult_permissions(actor, consultation).can_claim:
        raise _refuse(_("You cannot take this consultation."))
    with transaction.atomic():
        c = _lock(
            consultation,
            actor,
            "can_claim",
            _("Another specialist has already taken this consultation."),
        )
        if c.specialist_id is not None or c.status != Status.SUBMITTED:
            raise _refuse(_("Another specialist has already taken this consultation."))
        c.specialist = actor
        c.assigned_at = timezone.now()
        c.status = Status.ASSIGNED
        record_step(
            obj=c,
            fields=["specialist", "assigned_at", "status"],
            kind=ConsultationEventKind.CLAIMED,
            actor=actor,
            purpose="claimed",
            origin=origin,
        )
        _broadcast(c, "assigned")
    return c


def consultation_reroute(
    *,
    consultation: Consultation,
    actor: User,
    hub: Facility,
    specialty: Specialty,
    origin: AuditOrigin = SYSTEM,
) -> Consultation:
    """The coordinator sends the consult to another hub or specialty. The answer is still due
    counting from the original submission, with the new hub's deadline for the urgency."""
    if not consult_permissions(actor, consultation).can_reroute:
        raise _refuse(_("Only the hub's coordinators re-route consultations."))
    if not hub.is_hub or hub.status != "active":
        raise ValidationError({"hub": [_("Choose an active hub.")]})
    if hub.pk == consultation.hub_id and specialty.pk == consultation.specialty_id:
        raise ValidationError({"hub": [_("Choose another hub or specialty.")]})
    with transaction.atomic():
        c = _lock(consultation, actor, "can_reroute")
        before = (c.hub.name if c.hub else "", c.specialty.name)
        # The hub it leaves loses it from its lists (_broadcast below bumps the new hub's).
        left = c.hub_id
        transaction.on_commit(lambda: queue_versions_bump(hub_ids=[left]), robust=True)
        c.hub = hub
        c.specialty = specialty
        c.specialist = None
        c.assigned_at = None
        c.status = Status.SUBMITTED
        submitted = c.submitted_at or timezone.now()
        deadline = submitted + timedelta(minutes=deadline_minutes(hub.id, c.urgency))
        c.deadline_at = deadline
        if c.first_response_at is None and deadline > timezone.now():
            c.escalated_at = None  # the new hub's clock is still running
        record_step(
            obj=c,
            fields=[
                "hub",
                "specialty",
                "specialist",
                "assigned_at",
                "status",
                "deadline_at",
                "escalated_at",
            ],
            kind=ConsultationEventKind.REROUTED,
            actor=actor,
            detail={"hub": hub.name, "specialty": specialty.name, "before": list(before)},
            purpose="re-routed",
            audit_detail={"hub": hub.name, "specialty": specialty.code},
            origin=origin,
        )
        _schedule_deadline(c)
        _notify_hub(c, actor)
        _broadcast(c, "rerouted")
    return c


def _advice_refused() -> str:
    return _(
        "Only the specialist answering this consultation records the advice; while no one has "
        "taken it, a specialist of its specialty at the hub can. Give your view in the discussion."
    )


def citable_protocols(consultation: Consultation) -> QuerySet[ProtocolVersion]:
    """The protocols a specialist may cite for this consultation: current versions published
    to the requesting facility (those of the consultation's specialty first)."""
    return (
        ProtocolVersion.objects.filter(
            superseded_at__isnull=True, audience=consultation.requester_facility_id
        )
        .select_related("protocol")
        .annotate(
            same=Case(
                When(protocol__specialty_id=consultation.specialty_id, then=Value(0)),
                default=Value(1),
            )
        )
        .order_by("same", "protocol__title_vi")
    )


def advice_record(
    *,
    consultation: Consultation,
    actor: User,
    advice: str,
    outcome: str,
    diagnoses: list[IcdCode],
    protocols: Sequence[ProtocolVersion] = (),
    origin: AuditOrigin = SYSTEM,
) -> Consultation:
    """The hub's advice: text, recommended outcome, working diagnoses and, when one applies,
    the protocols it follows (current versions published to the requesting facility)."""
    if not consult_permissions(actor, consultation).can_advise:
        raise _refuse(_advice_refused())
    errors: dict[str, list[str]] = {}
    citable = set(citable_protocols(consultation).values_list("pk", flat=True))
    if any(p.pk not in citable for p in protocols):
        errors["protocols"] = [_("Cite a current protocol published to the requesting facility.")]
    if not advice.strip():
        errors["advice"] = [_("Write your advice.")]
    if outcome not in Outcome.values:
        errors["outcome"] = [_("Choose the recommended outcome.")]
    if len(diagnoses) > 12:
        errors["diagnoses"] = [_("At most 12 diagnosis codes.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        c = _lock(consultation, actor, "can_advise", _advice_refused())
        now = timezone.now()
        c.advice = advice.strip()
        c.recommended_outcome = outcome
        if c.specialist_id is None and _is_hub_person(c, actor):
            c.specialist = actor
            c.assigned_at = now
        c.status = Status.ANSWERED
        c.answered_at = now
        if c.first_response_at is None:
            c.first_response_at = now
        c.diagnoses.set(diagnoses)
        c.cited_protocols.set(protocols)
        record_step(
            obj=c,
            fields=[
                "advice",
                "recommended_outcome",
                "specialist",
                "assigned_at",
                "status",
                "answered_at",
                "first_response_at",
            ],
            kind=ConsultationEventKind.ADVICE,
            actor=actor,
            detail={
                "outcome": outcome,
                "diagnoses": [d.code for d in diagnoses],
                "protocols": [str(p.public_id) for p in protocols],
            },
            purpose="advice",
            audit_detail={"outcome": outcome},
            origin=origin,
        )
        notify(
            users=[c.requester],
            message="consult.answered",
            params={"specialty": in_each_language(lambda: c.specialty.name)},
            url=c.get_absolute_url(),
            exclude=actor,
        )
        _broadcast(c, "answered")
    return c


def consultation_close(
    *,
    consultation: Consultation,
    actor: User,
    action_taken: str,
    origin: AuditOrigin = SYSTEM,
) -> Consultation:
    """The requesting side acknowledges the advice, records what was done, and closes
    (Circular 49/2017 Art. 3: the requester decides and reports the outcome back)."""
    if not consult_permissions(actor, consultation).can_close:
        raise _refuse(_("Only the requesting facility closes an answered consultation."))
    if not action_taken.strip():
        raise ValidationError({"action_taken": [_("Write what was done for the patient.")]})
    with transaction.atomic():
        c = _lock(
            consultation, actor, "can_close", _("Only an answered consultation can be closed.")
        )
        if c.status != Status.ANSWERED:
            raise _refuse(_("Only an answered consultation can be closed."))
        c.action_taken = action_taken.strip()
        c.status = Status.CLOSED
        c.closed_at = timezone.now()
        record_step(
            obj=c,
            fields=["action_taken", "status", "closed_at"],
            kind=ConsultationEventKind.CLOSED,
            actor=actor,
            purpose="closed",
            origin=origin,
        )
        notify(
            users=[c.specialist] if c.specialist else [],
            message="consult.closed",
            url=c.get_absolute_url(),
            exclude=actor,
        )
        _broadcast(c, "closed")
    return c


# --- deadlines -----------------------------------------------------------------------------------


def consultation_escalate(*, consultation_id: int) -> bool:
    """Run by the deadline task: flag the consult overdue and alert the hub's coordinators and
    whoever is on call. Does nothing when it was answered, closed, re-scheduled or already
    escalated — the task may run late, twice, or after a re-route."""
    with transaction.atomic():
        # Lock only the consult's row: PostgreSQL refuses FOR UPDATE on the nullable side of
        # the outer join that select_related("hub") makes.
        c = (
            Consultation.objects.select_for_update(of=("self",))
            .select_related("specialty", "hub")
            .filter(pk=consultation_id)
            .first()
        )
        now = timezone.now()
        if (
            c is None
            or not c.is_open
            or c.first_response_at is not None
            or c.escalated_at is not None
            or c.deadline_at is None
            or c.deadline_at > now
        ):
            return False
        c.escalated_at = now
        record_step(
            obj=c,
            fields=["escalated_at"],
            kind=ConsultationEventKind.ESCALATED,
            actor=None,
            purpose="deadline passed",
        )
        people = hub_staff(c.hub_id or 0, roles=(Role.COORDINATOR,)) + _on_call(c, now)
        if c.specialist is not None:
            people.append(c.specialist)
        notify(
            users=people,
            message="consult.overdue",
            params={
                "urgency": in_each_language(c.get_urgency_display),
                "specialty": in_each_language(lambda: c.specialty.name),
            },
            url=c.get_absolute_url(),
        )
        _broadcast(c, "escalated")
    return True


# --- on-call roster ------------------------------------------------------------------------------


def oncall_shift_add(
    *,
    actor: User,
    hub: Facility,
    user: User,
    starts_at: Any,
    ends_at: Any,
    specialty: Specialty | None = None,
    origin: AuditOrigin = SYSTEM,
) -> OnCallShift:
    """A coordinator puts a specialist of their hub on call."""
    if hub.pk not in user_scope(actor).coordinator_hub_ids:
        raise _refuse(_("Only the hub's coordinators keep its on-call roster."))
    if (
        not Membership.objects.active()
        .filter(user=user, facility=hub, role__in=[Role.SPECIALIST, Role.COORDINATOR])
        .exists()
    ):
        raise ValidationError({"user": [_("Choose a specialist of this hub.")]})
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": [_("The shift must end after it starts.")]})
    if ends_at - starts_at > timedelta(days=7):
        raise ValidationError({"ends_at": [_("A shift lasts at most 7 days.")]})
    with transaction.atomic():
        shift = OnCallShift.objects.create(
            hub=hub, user=user, specialty=specialty, starts_at=starts_at, ends_at=ends_at
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=shift,
            purpose="on-call roster",
            origin=origin,
        )
    return shift


def oncall_shift_remove(*, actor: User, shift: OnCallShift, origin: AuditOrigin = SYSTEM) -> None:
    if shift.hub_id not in user_scope(actor).coordinator_hub_ids:
        raise _refuse(_("Only the hub's coordinators keep its on-call roster."))
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.DELETE,
            obj=shift,
            purpose="on-call roster",
            origin=origin,
        )
        shift.delete()
