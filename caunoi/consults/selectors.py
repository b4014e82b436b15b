"""The lists people work from. Each is one query with its related rows joined, whatever its
length (the query count is pinned by tests)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import overload

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from caunoi.accounts.models import User
from caunoi.consults.models import Consultation, Status
from caunoi.network.access import Scope, user_scope
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


# What a list's rows are read for (the read audit, patients.reads).
READ_PURPOSE = "teleconsultation"


@dataclass(frozen=True)
class WorkList:
    """A list made of several conditions ("arms") that no single index serves together, counted
    and sliced like a queryset (Django's Paginator, the API's pagination).

    An OR of conditions on different columns (``requester_facility = F OR specialist = me``)
    makes PostgreSQL gather every match, join each to its patient, hub and specialist, and only
    then sort for the first page: 2,714 rows and 50 ms for a hub specialist at 100,000 consults.
    Here each arm is its own query in the list's order, which an index in that order answers by
    reading just the first rows; the page is chosen among those few ids, and only its rows are
    joined. The arms must not overlap (a row matching two arms would be listed twice): each
    arm after the first excludes what the earlier ones match."""

    arms: tuple[QuerySet[Consultation], ...]
    order: tuple[str, ...]
    ordered = True  # Django's Paginator warns about unordered lists

    def count(self) -> int:
        counted = [arm.order_by().values("pk") for arm in self.arms]
        if not counted:
            return 0
        if len(counted) == 1:
            return counted[0].count()
        return counted[0].union(*counted[1:], all=True).count()

    def __len__(self) -> int:
        return self.count()

    @overload
    def __getitem__(self, item: int) -> Consultation: ...
    @overload
    def __getitem__(self, item: slice) -> list[Consultation]: ...
    def __getitem__(self, item: int | slice) -> Consultation | list[Consultation]:
        if isinstance(item, int):
            rows = self[item : item + 1]
            if not rows:
                raise IndexError(item)
            return rows[0]
        start, stop = item.start or 0, item.stop
        if stop is None or item.step is not None or start < 0 or stop < start:
            raise ValueError("A work list is read a page at a time.")
        if stop == start or not self.arms:
            return []
        return list(self._page(start, stop))

    def _page(self, start: int, stop: int) -> QuerySet[Consultation]:
        columns = [name.lstrip("-") for name in self.order]
        quote = connection.ops.quote_name
        parts: list[str] = []
        params: list[object] = []
        for i, arm in enumerate(self.arms):
            # The first ``stop`` rows of each arm, in the list's order: enough for any page
            # that ends at ``stop``. Wrapped in a SELECT of its own: SQLite accepts no ORDER BY
            # or LIMIT on the members of a UNION.
            sql, arm_params = (
                arm.order_by(*self.order).values_list(*columns)[:stop].query.sql_with_params()
            )
            parts.append(f"SELECT * FROM ({sql}) AS arm{i}")  # noqa: S608 (Django's own SQL)
            params.extend(arm_params)
        order_sql = ", ".join(
            f"{quote(name.lstrip('-'))} {'DESC' if name.startswith('-') else 'ASC'}"
            for name in self.order
        )
        ids = (
            f"SELECT {quote('id')} FROM ({' UNION ALL '.join(parts)}) AS arms "  # noqa: S608
            f"ORDER BY {order_sql} LIMIT {stop - start} OFFSET {start}"
        )
        return _rows(
            Consultation.objects.as_read(READ_PURPOSE).filter(pk__in=RawSQL(ids, params))  # noqa: S611 (built above from Django-compiled SQL and integers)
        ).order_by(*self.order)


def queue(user: User | AnonymousUser, name: str) -> QuerySet[Consultation] | WorkList:
    """One of the work lists. Each filter implies visibility on its own (the person's own
    facilities or hubs), so the lists are written as direct, indexed conditions instead of
    going through ``visible_consultations``: with hundreds of thousands of consults, the
    generic OR of every way of seeing a consult cannot use an index."""
    scope = user_scope(user)
    base = Consultation.objects.as_read(READ_PURPOSE)
    urgency_rank = Case(
        When(urgency="emergency", then=Value(0)),
        When(urgency="urgent", then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    if name == "mine":
        return _mine(base, scope)
    if name == "hub":
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


def _mine(base: QuerySet[Consultation], scope: Scope) -> WorkList:
    """The requesting side's cases and, for specialists, the ones assigned to them: one arm per
    facility and one per hub for the assigned cases (consult_mine_facility_idx and
    consult_mine_specialist_idx read them in this order). A facility that is also one of the
    hubs (its own requests assigned to its own specialist) is listed by its facility arm."""
    live = base.exclude(status=Status.CANCELLED)
    arms: list[QuerySet[Consultation]] = [
        live.filter(requester_facility_id=facility_id) for facility_id in sorted(scope.facility_ids)
    ]
    if scope.user_id is not None:
        arms += [
            live.filter(specialist_id=scope.user_id, hub_id=hub_id).exclude(
                requester_facility_id__in=scope.facility_ids
            )
            for hub_id in sorted(scope.hub_ids)
        ]
    return WorkList(arms=tuple(arms), order=("-updated_at", "-id"))
