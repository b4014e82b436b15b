"""Writing a timeline step: the one way a row of a ``TimelineEvent`` model is created.

A step that changes the object and must be audited goes through
``audit.services.record_step`` (which calls this); ``record_event`` alone is for a step whose
audit row is written elsewhere in the same transaction (several events under one audit row, an
event about one object audited on another)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from caunoi.core.models import TimelineEvent
from caunoi.core.person import Person

# Every timeline's foreign key to its object uses this related name.
EVENTS = "events"


def _timeline(subject: models.Model) -> tuple[type[TimelineEvent], str]:
    """The timeline model of ``subject``'s class — the ``TimelineEvent`` whose foreign key
    points at it with ``related_name="events"`` — and that key's name."""
    try:
        relation = subject._meta.get_field(EVENTS)
    except FieldDoesNotExist:
        raise TypeError(f"{type(subject).__name__} has no timeline") from None
    model = relation.related_model
    if not (
        isinstance(relation, models.ManyToOneRel)
        and isinstance(model, type)
        and issubclass(model, TimelineEvent)
    ):
        raise TypeError(f"{type(subject).__name__}.{EVENTS} is not a timeline")
    return model, relation.field.name


def record_event(
    subject: models.Model,
    kind: str,
    *,
    actor: Person | AnonymousUser | None,
    detail: dict[str, Any] | None = None,
) -> TimelineEvent:
    """Add one step to ``subject``'s timeline, now, by ``actor`` (``None`` — or anyone not
    saved — records no one: a scheduled check). Runs in the caller's transaction."""
    model, subject_field = _timeline(subject)
    return model._default_manager.create(
        **{subject_field: subject},
        kind=kind,
        actor_id=getattr(actor, "pk", None),
        detail=detail or {},
    )
