"""Reads of provinces and communes (the API's lists)."""

from __future__ import annotations

from django.db.models import QuerySet

from caunoi.places.models import Commune, Province


def province_list(*, q: str = "") -> QuerySet[Province]:
    qs = Province.objects.all()
    if q:
        qs = qs.search(q)
    return qs


def commune_list(*, province: int | None = None, q: str = "") -> QuerySet[Commune]:
    qs = Commune.objects.select_related("province")
    if province is not None:
        qs = qs.filter(province__code=province)
    if q:
        qs = qs.search(q)
    return qs
