"""places_load: the official post-2025 provinces and communes, loaded idempotently."""

from __future__ import annotations

import pytest
from django.db.models import Count

from caunoi.audit.models import AuditEvent
from caunoi.places.loader import PlacesLoaded, places_load
from caunoi.places.models import Commune, DivisionType, Province

pytestmark = pytest.mark.django_db


def test_second_load_creates_and_updates_nothing():
    provinces = list(Province.objects.order_by("code").values())
    communes = Commune.objects.count()
    events = AuditEvent.objects.count()

    result = places_load()

    assert result == PlacesLoaded(0, 0, 0, 0)
    assert list(Province.objects.order_by("code").values()) == provinces
    assert Commune.objects.count() == communes
    # Nothing changed, so nothing is audited.
    assert AuditEvent.objects.count() == events


def test_all_34_provinces_and_3321_communes_are_loaded():
    by_type = dict(Commune.objects.values_list("division_type").annotate(n=Count("id")).order_by())

    assert Province.objects.count() == 34
    assert Commune.objects.count() == 3321
    assert by_type == {
        DivisionType.COMMUNE: 2621,
        DivisionType.WARD: 687,
        DivisionType.SPECIAL_ZONE: 13,
    }
    assert Province.objects.get(code=46).division_type == DivisionType.CENTRAL_CITY
    assert Province.objects.get(code=8).division_type == DivisionType.PROVINCE


def test_legacy_codes_are_kept():
    lung_cu = Commune.objects.select_related("province").get(code=715)
    tuyen_quang = Province.objects.get(code=8)

    assert lung_cu.name == "Xã Lũng Cú"
    assert lung_cu.province.code == 8
    assert lung_cu.legacy_district_codes == [26]
    assert 715 in lung_cu.legacy_codes
    assert lung_cu.legacy_codes == sorted(lung_cu.legacy_codes)
    # Hà Giang (2) was merged into Tuyên Quang (8).
    assert tuyen_quang.legacy_codes == [2, 8]
    assert tuyen_quang.short_name == "Tuyên Quang"
    assert not Commune.objects.filter(legacy_codes=[]).exclude(division_type="dac_khu").exists()


def test_special_zones_are_flagged_as_islands():
    zones = set(Commune.objects.filter(division_type=DivisionType.SPECIAL_ZONE).values_list("code"))
    islands = set(Commune.objects.filter(is_island=True).values_list("code"))

    assert len(zones) == 13
    assert islands == zones
    assert Commune.objects.get(name="Đặc khu Phú Quốc").is_island is True


def test_names_are_folded_for_search():
    assert Commune.objects.get(code=715).search_name == "xa lung cu"
    assert Province.objects.get(code=46).search_name == "thanh pho hue"
    assert list(Commune.objects.search("LUNG CU").values_list("code", flat=True)) == [715]


def test_changed_commune_is_restored_and_audited_while_admin_flags_are_kept():
    Commune.objects.filter(code=715).update(name="Xã Lũng Cú Cũ", search_name="x", is_remote=True)

    result = places_load()

    assert result == PlacesLoaded(0, 0, 0, 1)
    lung_cu = Commune.objects.get(code=715)
    assert (lung_cu.name, lung_cu.search_name) == ("Xã Lũng Cú", "xa lung cu")
    assert lung_cu.is_remote is True
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    assert event.object_type == "places.dataset"
    assert event.detail["communes_updated"] == 1
    assert event.detail["communes_created"] == 0


def test_missing_commune_is_created_again():
    # A commune of a province outside the demo network has no facility and can be removed.
    spare = Commune.objects.filter(province__code=12, facilities__isnull=True).first()
    assert spare is not None
    code = spare.code
    spare.delete()

    result = places_load()

    assert result == PlacesLoaded(0, 0, 1, 0)
    again = Commune.objects.get(code=code)
    assert again.province.code == 12
    assert Commune.objects.count() == 3321


def test_changed_province_is_updated():
    Province.objects.filter(code=8).update(phone_code=None, legacy_codes=[8])

    result = places_load()

    assert result == PlacesLoaded(0, 1, 0, 0)
    tuyen_quang = Province.objects.get(code=8)
    assert tuyen_quang.legacy_codes == [2, 8]
    assert tuyen_quang.phone_code is not None
