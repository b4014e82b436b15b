"""Load the official post-2025 provinces and communes from the ``vietnam-provinces`` package.

Idempotent: rows are matched by their official code, new ones inserted and changed ones
updated, so re-running after a package upgrade brings the table up to date.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from vietnam_provinces import Province as VnProvince
from vietnam_provinces import Ward as VnWard

from caunoi.audit.models import AuditAction
from caunoi.audit.services import audit_record
from caunoi.core.person import Person
from caunoi.core.text import fold
from caunoi.places.models import Commune, DivisionType, Province

_TYPES = {
    "thành phố trung ương": DivisionType.CENTRAL_CITY,
    "tỉnh": DivisionType.PROVINCE,
    "xã": DivisionType.COMMUNE,
    "phường": DivisionType.WARD,
    "đặc khu": DivisionType.SPECIAL_ZONE,
}
_PREFIXES = ("Thành phố ", "Tỉnh ")


@dataclass(frozen=True)
class PlacesLoaded:
    provinces_created: int
    provinces_updated: int
    communes_created: int
    communes_updated: int


def _short(name: str) -> str:
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            return name.removeprefix(prefix)
    return name


def places_load(
    *, actor: Person | None = None, progress: Callable[[str], None] | None = None
) -> PlacesLoaded:
    say = progress or (lambda _message: None)
    with transaction.atomic():
        existing_p = {p.code: p for p in Province.objects.all()}
        new_p: list[Province] = []
        changed_p: list[Province] = []
        for vp in VnProvince.iter_all():
            fields = {
                "name": vp.name,
                "short_name": _short(vp.name),
                "division_type": _TYPES[vp.division_type.value],
                "codename": vp.codename,
                "phone_code": vp.phone_code,
                "legacy_codes": sorted(int(old.code) for old in vp.get_legacy_sources()),
                "search_name": fold(vp.name),
            }
            row = existing_p.get(int(vp.code))
            if row is None:
                new_p.append(Province(code=int(vp.code), **fields))
            elif any(getattr(row, k) != v for k, v in fields.items()):
                for key, value in fields.items():
                    setattr(row, key, value)
                changed_p.append(row)
        Province.objects.bulk_create(new_p)
        Province.objects.bulk_update(changed_p, list(fields))
        say(f"provinces: {len(new_p)} created, {len(changed_p)} updated")

        province_ids = dict(Province.objects.values_list("code", "id"))
        existing_c = {c.code: c for c in Commune.objects.all()}
        new_c: list[Commune] = []
        changed_c: list[Commune] = []
        for index, ward in enumerate(VnWard.iter_all(), start=1):
            sources = ward.get_legacy_sources()
            division = _TYPES[ward.division_type.value]
            values = {
                "name": ward.name,
                "division_type": division,
                "codename": ward.codename,
                "province_id": province_ids[int(ward.province_code)],
                "legacy_codes": sorted(int(old.code) for old in sources),
                "legacy_district_codes": sorted({int(old.district_code) for old in sources}),
                "search_name": fold(ward.name),
            }
            row_c = existing_c.get(int(ward.code))
            if row_c is None:
                is_island = division == DivisionType.SPECIAL_ZONE
                new_c.append(Commune(code=int(ward.code), is_island=is_island, **values))
            elif any(getattr(row_c, k) != v for k, v in values.items()):
                for key, value in values.items():
                    setattr(row_c, key, value)
                changed_c.append(row_c)
            if index % 1000 == 0:
                say(f"communes: {index} read")
        Commune.objects.bulk_create(new_c, batch_size=1000)
        Commune.objects.bulk_update(changed_c, list(values), batch_size=1000)
        say(f"communes: {len(new_c)} created, {len(changed_c)} updated")
        result = PlacesLoaded(len(new_p), len(changed_p), len(new_c), len(changed_c))
        if new_p or changed_p or new_c or changed_c:
            audit_record(
                actor=actor,
                action=AuditAction.UPDATE,
                object_type="places.dataset",
                object_label="vietnam-provinces",
                purpose="reference data",
                detail={
                    "provinces_created": result.provinces_created,
                    "provinces_updated": result.provinces_updated,
                    "communes_created": result.communes_created,
                    "communes_updated": result.communes_updated,
                },
            )
    return result
