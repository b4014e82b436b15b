"""Every read of patient data is in the audit trail, recorded where the read is granted.

The access helpers (``visible_patients``, ``visible_consultations``, ``visible_referrals``,
``visible_sessions``) hand out querysets marked with ``as_read(purpose)``. Whatever rows such a
queryset fetches — one record behind ``access_*`` or a page of a list — are noted in the current
request's read log; ``PatientReadAuditMiddleware`` writes one audit row per request naming the
reader, every patient whose data was read (``detail["patients"]``, public ids), the objects read
and the purposes. A new page or API endpoint that reads through the helpers is audited without
doing anything, and one that does not read through them reads nothing it should not.

Law 91/2025/QH15 asks who processed health data, when and for what; Circular 49/2017 asks that
telehealth records and their use be kept. One row per request (not per patient) keeps a list of
fifty patients at one audit write.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from django.contrib.auth.models import AnonymousUser
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse

from caunoi.accounts.models import User
from caunoi.audit.models import AuditAction
from caunoi.audit.origin import SYSTEM, AuditOrigin, origin_of
from caunoi.audit.services import audit_record


@dataclass
class ReadLog:
    """The patient data one request has read so far: primary keys per (model, path)."""

    purposes: set[str] = field(default_factory=set)
    rows: dict[tuple[type[models.Model], str], set[Any]] = field(default_factory=dict)

    def note(self, model: type[models.Model], path: str, purpose: str, pks: list[Any]) -> None:
        self.purposes.add(purpose)
        self.rows.setdefault((model, path), set()).update(pks)


_current: ContextVar[ReadLog | None] = ContextVar("caunoi_patient_reads", default=None)


class PatientReadQuerySet[M: models.Model](models.QuerySet[M]):
    """A queryset of rows that carry patient data. ``patient_path`` leads from the model to its
    patient ("" for the patient itself). Marked with ``as_read(purpose)`` by an access helper,
    every row it fetches is noted in the request's read log."""

    patient_path: ClassVar[str] = "patient"
    _read_purpose: str = ""

    def as_read(self, purpose: str) -> Self:
        clone = self.all()
        clone._read_purpose = purpose
        return clone

    # Django's private hook that every chained call (filter, select_related, slicing…) goes
    # through: the mark must survive them all. The stubs do not declare it.
    def _clone(self) -> Self:
        clone: Self = super()._clone()  # type: ignore[misc]
        clone._read_purpose = self._read_purpose
        return clone

    def _fetch_all(self) -> None:
        fetched = self._result_cache is None
        super()._fetch_all()
        if not (fetched and self._read_purpose):
            return
        log = _current.get()
        if log is None:
            return
        pks = [row.pk for row in self._result_cache or () if isinstance(row, models.Model)]
        if pks:
            log.note(self.model, self.patient_path, self._read_purpose, pks)


def reads_note(model: type[models.Model], pks: list[Any], *, purpose: str) -> None:
    """Note rows shown without being fetched now (a list served from the cache) as read by the
    current request, exactly as fetching them through an ``as_read`` queryset would."""
    log = _current.get()
    if log is not None and pks:
        path = getattr(model._default_manager.all(), "patient_path", "patient")
        log.note(model, path, purpose, pks)


def _resolve(log: ReadLog) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The patients read (public id → name) and the other objects read, one query per model."""
    patients: dict[str, str] = {}
    objects: dict[str, list[str]] = {}
    for (model, path), pks in log.rows.items():
        prefix = f"{path}__" if path else ""
        rows = model._default_manager.filter(pk__in=pks).values_list(
            "public_id", f"{prefix}public_id", f"{prefix}full_name"
        )
        for object_id, patient_id, name in rows:
            if path:
                objects.setdefault(model._meta.label_lower, []).append(str(object_id))
            if patient_id is not None:
                patients[str(patient_id)] = name
    return patients, {label: sorted(ids) for label, ids in objects.items()}


def reads_record(
    log: ReadLog, *, actor: User | AnonymousUser | None, origin: AuditOrigin = SYSTEM
) -> None:
    """Write the audit row for what ``log`` holds (nothing when it read no patient); the
    origin's view and method go into its detail."""
    patients, objects = _resolve(log)
    if not patients:
        return
    single = next(iter(patients)) if len(patients) == 1 else ""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.VIEW,
            object_type="patients.patient",
            object_id=single,
            object_label=patients[single] if single else "",
            purpose=", ".join(sorted(log.purposes)),
            detail={
                "patients": sorted(patients),
                "objects": objects,
                "view": origin.view,
                "method": origin.method,
            },
            origin=origin,
        )


class PatientReadAuditMiddleware:
    """Collects the request's reads of patient data and writes their audit row before the
    answer leaves. Only answers that show something (2xx) are recorded: a redirect or a refusal
    showed no patient. If the row cannot be written the answer is not sent."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        log = ReadLog()
        token = _current.set(log)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        if log.rows and 200 <= response.status_code < 300:
            reads_record(log, actor=getattr(request, "user", None), origin=origin_of(request))
        return response
