"""Where to refer: facilities of a higher technical level in the patient's province, then the
hubs that support the referring facility. Any other active facility can be chosen by its code."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Value, When

from caunoi.network.models import Facility, FacilityKind, SupportLink, TechnicalLevel

LEVEL_RANK = {TechnicalLevel.INITIAL: 1, TechnicalLevel.BASIC: 2, TechnicalLevel.SPECIALISED: 3}


def suggested_destinations(origin: Facility, limit: int = 20) -> list[Facility]:
    higher = [level for level, rank in LEVEL_RANK.items() if rank > LEVEL_RANK.get(origin.level, 0)]  # type: ignore[call-overload]
    in_province = (
        Facility.objects.active()
        .filter(province_id=origin.province_id, level__in=higher)
        .exclude(kind=FacilityKind.HEALTH_DEPARTMENT)
        .exclude(pk=origin.pk)
        .annotate(
            rank=Case(
                When(kind=FacilityKind.PROVINCIAL_HOSPITAL, then=Value(0)),
                When(commune_id=origin.commune_id, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "-level", "name")[:limit]
    )
    hubs = Facility.objects.filter(
        id__in=SupportLink.objects.current().filter(spoke=origin).values("hub_id")
    ).order_by("name")
    seen: dict[int, Facility] = {}
    for f in [*in_province, *hubs]:
        seen.setdefault(f.pk, f)
    return list(seen.values())
