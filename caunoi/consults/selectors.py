"""The lists people work from. Each is one query with its related rows joined, whatever its
length (the query count is pinned by tests)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from caunoi.accounts.models import User
from caunoi.consults.models import Consultation, Status
from caunoi.network.access import user_scope
from caunoi.network.models import Role

QUEUES = {
    "mine": _("My consultations"),
    "hub": _("Specialty queue"),
    "triage": _("Triage"),
    "overdue": _("Overdue"),
}


def queues_for(user: User | AnonymousUser) -> list[str]:
    scope = user_scope(user)
    names = []
    if scope.facility_ids:
        names.append("mine")
    if Role.SPECIALIST in scope.roles and scope.hub_ids:
        names.append("hub")
    if scope.coordinator_hub_ids:
        names.append("triage")
    if scope.is_clinical:
        names.append("overdue")
    return names


def _rows(qs: QuerySet[Consultation]) -> QuerySet[Consultation]:
    return qs.select_related("patient", "specialty", "hub", "requester_facility", "specialist")


def queue(user: User | AnonymousUser, name: str) -> QuerySet[Consultation]:
    """One of the work lists. Each filter implies visibility on its own (the person's own
    facilities or hubs), so the lists are written as direct, indexed conditions instead of
    going through ``visible_consultations``: with hundreds of thousands of consults, the
    generic OR of every way of seeing a consult cannot use an index."""
    scope = user_scope(user)
    base = Consultation.objects.as_read("teleconsultation")
    urgency_rank = Case(
        When(urgency="emergency", then=Value(0)),
        When(urgency="urgent", then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    if name == "mine":
        # The requesting side's cases and, for specialists, the ones assigned to them.
        qs = base.filter(
            Q(requester_facility_id__in=scope.facility_ids)
            | Q(specialist_id=scope.user_id, hub_id__in=scope.hub_ids)
        )
        qs = qs.exclude(status=Status.CANCELLED).order_by("-updated_at", "-id")
    elif name == "hub":
        qs = (
            base.for_hub(scope.hub_ids)
            .filter(
                status=Status.SUBMITTED,
                specialist__isnull=True,
                specialty_id__in=scope.specialty_ids,
            )
            .annotate(rank=urgency_rank)
            .order_by("rank", "deadline_at", "id")
        )
    elif name == "triage":
        qs = (
            base.for_hub(scope.coordinator_hub_ids)
            .open()
            .annotate(
                unassigned=Case(
                    When(specialist__isnull=True, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                ),
                rank=urgency_rank,
            )
            .order_by("unassigned", "rank", "deadline_at", "id")
        )
    elif name == "overdue":
        qs = (
            base.overdue()
            .filter(Q(hub_id__in=scope.hub_ids) | Q(requester_facility_id__in=scope.facility_ids))
            .order_by("deadline_at", "id")
        )
    else:
        qs = base.none()
    return _rows(qs)
