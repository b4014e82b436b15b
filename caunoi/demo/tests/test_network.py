"""The demo network the test database (and `make demo`) is seeded with: one station per commune
of the demo provinces, hubs for every common specialty, the personas, and stable ids."""

from __future__ import annotations

import re

import pytest
from django.db.models import Count, F, Q
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.audit.models import AuditEvent
from caunoi.demo.network import HUBS, demo_network_load, stable_uuid
from caunoi.network.models import (
    Facility,
    FacilityKind,
    Membership,
    Role,
    Specialty,
    Status,
    SupportLink,
)
from caunoi.places.models import Commune

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_network")]

DEMO_PROVINCE_CODES = [8, 19, 20, 51, 33, 24, 92, 86, 80, 46, 40]
LICENCE = re.compile(r"^\d{6}/[A-Z]{2,4}-(GPHN|CCHN)$")


def demo_communes() -> int:
    return Commune.objects.filter(province__code__in=DEMO_PROVINCE_CODES).count()


def stations_missing_a_common_specialty() -> list[tuple[str, int]]:
    """Stations without a current hub for some common specialty, in one query."""
    today = timezone.localdate()
    current = (
        Q(hub_links__status=Status.ACTIVE)
        & Q(hub_links__hub__status=Status.ACTIVE)
        & Q(hub_links__valid_from__lte=today)
        & (Q(hub_links__valid_to__isnull=True) | Q(hub_links__valid_to__gte=today))
        & Q(hub_links__specialties__is_common=True)
    )
    common = Specialty.objects.filter(is_common=True).values("is_common")
    return list(
        Facility.objects.filter(kind=FacilityKind.STATION)
        .annotate(covered=Count("hub_links__specialties", filter=current, distinct=True))
        .annotate(wanted=common.annotate(n=Count("id")).values("n")[:1])
        .filter(covered__lt=F("wanted"))
        .values_list("name", "province__code")
    )


# The provinces the README documents for the demo network, by name.
DOCUMENTED_PROVINCES = {
    "Tuyên Quang",
    "Thái Nguyên",
    "Lạng Sơn",
    "Quảng Ngãi",
    "Hưng Yên",
    "Bắc Ninh",
    "Cần Thơ",
    "Vĩnh Long",
    "Tây Ninh",
    "Huế",
    "Nghệ An",
}


def test_the_stations_lie_in_the_eleven_documented_provinces_and_cover_their_communes():
    stations = Facility.objects.filter(kind=FacilityKind.STATION)
    per_province = dict(
        stations.values_list("province__short_name").annotate(n=Count("id")).order_by()
    )
    communes = dict(
        Commune.objects.filter(province__short_name__in=DOCUMENTED_PROVINCES)
        .values_list("province__short_name")
        .annotate(n=Count("id"))
        .order_by()
    )

    assert set(per_province) == DOCUMENTED_PROVINCES
    assert per_province == communes
    assert sum(per_province.values()) == 1073  # the README's figure


def test_there_are_about_1070_stations_in_the_demo_provinces():
    stations = Facility.objects.filter(kind=FacilityKind.STATION)

    assert 1000 < stations.count() < 1100
    assert set(stations.values_list("province__code", flat=True)) == set(DEMO_PROVINCE_CODES)


def test_every_commune_of_the_demo_provinces_has_a_station():
    without = Commune.objects.filter(province__code__in=DEMO_PROVINCE_CODES).exclude(
        facilities__kind=FacilityKind.STATION
    )

    assert list(without.values_list("name", flat=True)) == []


def test_one_station_per_commune_of_the_demo_provinces():
    stations = Facility.objects.filter(kind=FacilityKind.STATION)
    duplicated = stations.values("commune__code").annotate(n=Count("id")).filter(n__gt=1).order_by()

    assert list(duplicated) == []
    assert stations.count() == demo_communes()


def test_every_station_has_a_current_hub_for_every_common_specialty(django_assert_num_queries):
    assert Specialty.objects.filter(is_common=True).count() == 9

    with django_assert_num_queries(1):
        missing = stations_missing_a_common_specialty()

    assert missing == []


def test_the_hub_check_finds_stations_left_without_paediatrics():
    # Without Nhi Trung ương the northern stations have no paediatric hub: the check sees it.
    Facility.objects.filter(name="Bệnh viện Nhi Trung ương").update(status=Status.INACTIVE)

    north = [8, 19, 20, 33, 24]

    missing = stations_missing_a_common_specialty()

    assert ("Trạm Y tế xã Lũng Cú", 8) in missing
    assert sorted(name for name, province in missing if province in north) == sorted(
        Facility.objects.filter(kind=FacilityKind.STATION, province__code__in=north).values_list(
            "name", flat=True
        )
    )


def test_tuyen_quang_stations_ask_hue_first_and_bach_mai_second():
    lung_cu = Facility.objects.get(name="Trạm Y tế xã Lũng Cú")
    links = {
        link.hub.name: (link.priority, sorted(s.code for s in link.specialties.all()))
        for link in SupportLink.objects.filter(spoke=lung_cu).select_related("hub")
    }
    adult = sorted(
        Specialty.objects.filter(is_common=True)
        .exclude(code="paediatrics")
        .values_list("code", flat=True)
    )

    assert links == {
        "Bệnh viện Trung ương Huế": (1, adult),
        "Bệnh viện Bạch Mai": (2, adult),
        "Bệnh viện Nhi Trung ương": (1, ["paediatrics"]),
    }


def test_facility_ids_are_stable():
    rows = list(Facility.objects.values_list("code", "public_id"))

    assert len(rows) > 1300
    assert [pid for _code, pid in rows] == [stable_uuid("facility", code) for code, _pid in rows]
    assert Facility.objects.get(name="Trạm Y tế xã Lũng Cú").public_id == stable_uuid(
        "facility", "08305"
    )


def test_user_membership_and_link_ids_are_stable():
    hub_keys = {spec.code: spec.key for spec in HUBS}
    users = list(User.objects.values_list("username", "public_id"))
    memberships = list(Membership.objects.values_list("user__username", "public_id"))
    links = list(SupportLink.objects.values_list("hub__code", "spoke__code", "public_id"))

    assert all(pid == stable_uuid("user", name) for name, pid in users)
    assert all(pid == stable_uuid("membership", name) for name, pid in memberships)
    assert all(pid == stable_uuid("link", f"{hub_keys[hub]}:{spoke}") for hub, spoke, pid in links)
    assert len(links) > 2000


def snapshot() -> dict[str, object]:
    return {
        "facilities": sorted(
            Facility.objects.values_list(
                "code", "public_id", "name", "kind", "level", "commune__code", "is_hub"
            )
        ),
        "users": sorted(User.objects.values_list("username", "public_id", "full_name")),
        "memberships": sorted(
            Membership.objects.values_list(
                "public_id", "user__username", "facility__code", "role", "licence_number"
            )
        ),
        "links": sorted(
            SupportLink.objects.values_list(
                "public_id", "hub__code", "spoke__code", "priority", "valid_from"
            )
        ),
        "link_specialties": sorted(
            SupportLink.specialties.through.objects.values_list(
                "supportlink__public_id", "specialty__code"
            )
        ),
    }


def test_demo_built_again_on_an_empty_registry_is_identical():
    before = snapshot()
    Membership.objects.all().delete()
    SupportLink.objects.all().delete()
    Facility.objects.all().delete()
    User.objects.all().delete()

    result = demo_network_load()

    assert result.skipped is False
    assert result.facilities == len(before["facilities"])  # type: ignore[arg-type]
    assert snapshot() == before


def test_loading_the_demo_a_second_time_changes_nothing():
    counts = [m.objects.count() for m in (Facility, SupportLink, User, Membership, AuditEvent)]

    result = demo_network_load()

    assert result.skipped is True
    assert [m.objects.count() for m in (Facility, SupportLink, User, Membership, AuditEvent)] == (
        counts
    )


PERSONAS = {
    # username: (role, facility name or None, organisation, specialties, is_staff)
    "worker": ("worker", "Trạm Y tế xã Lũng Cú", "", [], False),
    "specialist": ("specialist", "Bệnh viện Trung ương Huế", "", ["internal-medicine"], False),
    "coordinator": ("coordinator", "Bệnh viện Trung ương Huế", "", [], False),
    "receiver": (
        "clinician",
        "Bệnh viện Đa khoa tỉnh Tuyên Quang",
        "",
        ["internal-medicine"],
        False,
    ),
    "officer": ("officer", "Sở Y tế tỉnh Tuyên Quang", "", [], False),
    "donor": ("donor", None, "KOFIH", [], False),
    "admin": ("admin", None, "Sở Y tế tỉnh Tuyên Quang", [], True),
}


@pytest.mark.parametrize("username", list(PERSONAS))
def test_personas_have_their_documented_memberships(username):
    role, facility, organisation, specialties, is_staff = PERSONAS[username]
    user = User.objects.get(username=username)

    memberships = list(Membership.objects.filter(user=user).select_related("facility"))

    assert len(memberships) == 1
    m = memberships[0]
    assert m.role == role
    assert (m.facility.name if m.facility else None) == facility
    assert m.organisation == organisation
    assert sorted(m.specialties.values_list("code", flat=True)) == specialties
    assert m.is_active
    assert user.is_active
    assert user.is_staff is is_staff
    assert user.is_superuser is False
    assert user.check_password("caunoi-demo")


def test_demo_rows_respect_the_registry_rules():
    licences = list(Membership.objects.exclude(licence_number="").values_list("licence_number"))

    assert all(LICENCE.match(n) for (n,) in licences)
    assert len(licences) == len(set(licences))
    assert not Facility.objects.exclude(commune__province=F("province")).exists()
    assert not Membership.objects.filter(
        role__in=[Role.SPECIALIST, Role.COORDINATOR], facility__is_hub=False
    ).exists()
    assert (
        not Membership.objects.filter(role=Role.OFFICER)
        .exclude(facility__kind=FacilityKind.HEALTH_DEPARTMENT)
        .exists()
    )
    assert set(
        Facility.objects.filter(kind=FacilityKind.HEALTH_DEPARTMENT).values_list(
            "province__code", flat=True
        )
    ) == set(DEMO_PROVINCE_CODES)
    assert Facility.objects.filter(is_hub=True).count() == len(HUBS)
