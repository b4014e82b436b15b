"""Reads of the network registry shared by pages and the API."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Prefetch, Q, QuerySet

from caunoi.core.person import Person
from caunoi.network.access import visible_facilities
from caunoi.network.models import (
    Facility,
    FacilityKind,
    Membership,
    Specialty,
    SupportLink,
    TechnicalLevel,
)


@dataclass(frozen=True)
class FacilityFilters:
    q: str = ""
    province: int | None = None
    commune: int | None = None
    kind: str = ""
    level: str = ""
    hub: bool | None = None


def facility_directory(
    user: Person | AnonymousUser | None, filters: FacilityFilters
) -> QuerySet[Facility]:
    qs = visible_facilities(user).select_related("province", "commune")
    if filters.q:
        qs = qs.search(filters.q)
    if filters.province is not None:
        qs = qs.filter(province__code=filters.province)
    if filters.commune is not None:
        qs = qs.filter(commune__code=filters.commune)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.level:
        qs = qs.filter(level=filters.level)
    if filters.hub is not None:
        qs = qs.filter(is_hub=filters.hub)
    return qs.order_by("province__code", "kind", "name", "id")


def specialty_list() -> QuerySet[Specialty]:
    return Specialty.objects.all()


def specialty_exists(code: str) -> bool:
    return Specialty.objects.filter(code=code).exists()


def support_link_list(
    user: Person | AnonymousUser | None,
    *,
    spoke: UUID | None = None,
    hub: UUID | None = None,
    specialty: str = "",
) -> QuerySet[SupportLink]:
    """Current support links between facilities the user may see, by spoke, then priority."""
    facilities = visible_facilities(user)
    qs = (
        SupportLink.objects.current()
        .filter(hub__in=facilities, spoke__in=facilities)
        .select_related("hub", "spoke")
        .prefetch_related("specialties")
        .order_by("spoke__name", "priority", "id")
    )
    if spoke is not None:
        qs = qs.filter(spoke__public_id=spoke)
    if hub is not None:
        qs = qs.filter(hub__public_id=hub)
    if specialty:
        qs = qs.filter(specialties__code=specialty)
    return qs


@dataclass(frozen=True)
class HubForSpecialty:
    specialty: Specialty
    links: list[SupportLink]


def hubs_by_specialty(spoke: Facility) -> list[HubForSpecialty]:
    """For a supported facility: which hubs answer it in each specialty, first hub first."""
    links = list(
        SupportLink.objects.current()
        .filter(spoke=spoke)
        .select_related("hub", "hub__province")
        .prefetch_related("specialties")
        .order_by("priority", "hub__name")
    )
    by_specialty: dict[int, HubForSpecialty] = {}
    specialties = {s.id: s for link in links for s in link.specialties.all()}
    for specialty in sorted(specialties.values(), key=lambda s: (s.sort_order, s.code)):
        by_specialty[specialty.id] = HubForSpecialty(specialty, [])
    for link in links:
        for s in link.specialties.all():
            by_specialty[s.id].links.append(link)
    return list(by_specialty.values())


def spokes_of(hub: Facility) -> QuerySet[SupportLink]:
    return (
        SupportLink.objects.current()
        .filter(hub=hub)
        .select_related("spoke", "spoke__province", "spoke__commune")
        .prefetch_related("specialties")
        .order_by("spoke__province__code", "spoke__kind", "spoke__name")
    )


def facility_staff(facility: Facility) -> QuerySet[Membership]:
    return (
        Membership.objects.active()
        .filter(facility=facility)
        .select_related("user")
        .prefetch_related(
            Prefetch("specialties", queryset=Specialty.objects.order_by("sort_order"))
        )
        .order_by("role", "user__full_name")
    )


@dataclass(frozen=True)
class KindLevelTable:
    """Counts of active facilities of a province by kind (rows) and level (columns)."""

    rows: list[tuple[str, list[int], int]]
    column_totals: list[int]
    total: int
    levels: list[tuple[str, str]]


def province_kind_level_table(province_id: int) -> KindLevelTable:
    levels = [(str(v), str(label)) for v, label in TechnicalLevel.choices] + [("", "—")]
    counts = {
        (row["kind"], row["level"]): row["n"]
        for row in Facility.objects.active()
        .filter(province_id=province_id)
        .values("kind", "level")
        .annotate(n=Count("id"))
    }
    rows = []
    for kind, label in FacilityKind.choices:
        cells = [counts.get((kind, level), 0) for level, _ in levels]
        if sum(cells):
            rows.append((str(label), cells, sum(cells)))
    column_totals = [sum(r[1][i] for r in rows) for i in range(len(levels))]
    return KindLevelTable(rows, column_totals, sum(column_totals), levels)


def network_totals(province_id: int | None = None) -> dict[str, int]:
    """Headline counts for home pages and the donor view."""
    facilities = Facility.objects.active()
    members = Membership.objects.active()
    if province_id is not None:
        facilities = facilities.filter(province_id=province_id)
        members = members.filter(facility__province_id=province_id)
    agg = facilities.aggregate(
        facilities=Count("id"),
        stations=Count("id", filter=Q(kind=FacilityKind.STATION)),
        hubs=Count("id", filter=Q(is_hub=True)),
        provinces=Count("province", distinct=True),
    )
    agg["workers"] = members.filter(facility__isnull=False).values("user").distinct().count()
    return agg
