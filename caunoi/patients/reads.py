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
from django.db import models
from django.http import HttpRequest, HttpResponse

from caunoi.accounts.models import User
from caunoi.audit.models import AuditAction
from caunoi.audit.origin import SYSTEM, AuditOrigin, origin_of
from caunoi.audit.services import audit_record


@dataclass
class ReadLog:
    """The patient data one request has read so far: primary keys per (model, path) still to
    be resolved to their patients, and what is already known — the patients read (public id →
    name) and the other objects (label → public ids) — from rows fetched with their patient."""

    purposes: set[str] = field(default_factory=set)
    rows: dict[tuple[type[models.Model], str], set[Any]] = field(default_factory=dict)
    patients: dict[str, str] = field(default_factory=dict)
    objects: dict[str, set[str]] = field(default_factory=dict)

    def note(self, model: type[models.Model], path: str, purpose: str, pks: list[Any]) -> None:
        self.purposes.add(purpose)
        self.rows.setdefault((model, path), set()).update(pks)

    def note_rows(self, rows: list[models.Model], path: str, purpose: str) -> None:
        """Rows just fetched: those whose patient came with them (the patient itself, or one
        joined by ``select_related``) are known at once; the others are resolved at the end
        (``_resolve``), one query per model."""
        self.purposes.add(purpose)
        unresolved = []
        for row in rows:
            known = _patient_of(row, path)
            if known is None:
                unresolved.append(row.pk)
                continue
            patient, obj = known
            self.patients[str(patient.public_id)] = patient.full_name
            if path:
                self.objects.setdefault(row._meta.label_lower, set()).add(str(obj))
        if unresolved:
            self.rows.setdefault((type(rows[0]), path), set()).update(unresolved)

    @property
    def empty(self) -> bool:
        return not (self.rows or self.patients)


def _patient_of(row: models.Model, path: str) -> tuple[Any, Any] | None:
    """The row's patient and the row's own public id, when both are in hand without a query
    (the path's relations already loaded, the fields not deferred); else None."""
    deferred = row.get_deferred_fields()
    obj = None
    if path:
        if "public_id" in deferred or not hasattr(row, "public_id"):
            return None
        obj = row.public_id
    current: Any = row
    for hop in path.split("__") if path else ():
        if hop not in current._state.fields_cache:
            return None
        current = current._state.fields_cache[hop]
        if current is None:
            return None
    if {"public_id", "full_name"} & current.get_deferred_fields():
        return None
    return current, obj


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
        rows: list[models.Model] = [
            row for row in self._result_cache or () if isinstance(row, models.Model)
        ]
        if rows:
            log.note_rows(rows, self.patient_path, self._read_purpose)


def reads_note(model: type[models.Model], pks: list[Any], *, purpose: str) -> None:
    """Note rows shown without being fetched now (a list served from the cache) as read by the
    current request, exactly as fetching them through an ``as_read`` queryset would."""
    log = _current.get()
    if log is not None and pks:
        path = getattr(model._default_manager.all(), "patient_path", "patient")
        log.note(model, path, purpose, pks)


def _resolve(log: ReadLog) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The patients read (public id → name) and the other objects read: those known when
    fetched, and the rest with one query per model."""
    patients: dict[str, str] = dict(log.patients)
    objects: dict[str, set[str]] = {label: set(ids) for label, ids in log.objects.items()}
    for (model, path), pks in log.rows.items():
        prefix = f"{path}__" if path else ""
        rows = model._default_manager.filter(pk__in=pks).values_list(
            "public_id", f"{prefix}public_id", f"{prefix}full_name"
        )
        for object_id, patient_id, name in rows:
            if path:
                objects.setdefault(model._meta.label_lower, set()).add(str(object_id))
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
    # One INSERT: atomic by itself, so no transaction around it (two round trips fewer).
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
        if not log.empty and 200 <= response.status_code < 300:
            reads_record(log, actor=getattr(request, "user", None), origin=origin_of(request))
        return response
