"""The registry's invariants: database constraints first, then clean() for one row."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from caunoi.accounts.models import User
from caunoi.network.models import Facility, Membership, Role, SupportLink
from caunoi.places.models import Commune, Province

pytestmark = pytest.mark.django_db

LUNG_CU = "Trạm Y tế xã Bảo Lâm"  # the worker persona's station
HUE = "Bệnh viện Trung ương Huế"
BACH_MAI = "Bệnh viện Bạch Mai"


@pytest.fixture
def cao_bang() -> Province:
    return Province.objects.get(code=4)


def new_facility(province: Province, **fields: object) -> Facility:
    values: dict[str, object] = {
        "code": "08990",
        "name": "Phòng khám Đa khoa Đồng Văn",
        "kind": "clinic",
        "level": "initial",
        "province": province,
    }
    values.update(fields)
    return Facility(**values)


def new_user(username: str = "newcomer") -> User:
    return User.objects.create_user(username=username, full_name="Người Mới", password="x")


def refused_by_database(obj: object) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        obj.save()  # type: ignore[attr-defined]


def messages(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    """The messages in English (the msgids): they are translated when read."""
    with translation.override("en"):
        return exc.value.message_dict


# --- database constraints ----------------------------------------------------------------------


def test_duplicate_facility_code_is_refused_by_the_database(cao_bang):
    refused_by_database(new_facility(cao_bang, code="04301"))

    assert Facility.objects.filter(code="04301").count() == 1


@pytest.mark.parametrize(
    ("kind", "level"),
    [("health_department", "basic"), ("station", ""), ("hospital", "basic"), ("clinic", "top")],
)
def test_kind_and_level_rules_are_enforced_by_the_database(cao_bang, kind, level):
    refused_by_database(new_facility(cao_bang, kind=kind, level=level))

    assert not Facility.objects.filter(code="08990").exists()


def test_health_department_without_level_is_accepted(cao_bang):
    department = new_facility(cao_bang, code="SYT99", kind="health_department", level="")
    department.save()

    assert Facility.objects.get(code="SYT99").level == ""


def test_support_link_from_a_hub_to_itself_is_refused_by_the_database():
    hue = Facility.objects.get(name=HUE)

    refused_by_database(SupportLink(hub=hue, spoke=hue, valid_from=dt.date(2025, 7, 1)))


def test_support_link_ending_before_it_starts_is_refused_by_the_database():
    hue = Facility.objects.get(name=HUE)
    clinic = new_facility(hue.province)
    clinic.save()

    refused_by_database(
        SupportLink(
            hub=hue, spoke=clinic, valid_from=dt.date(2025, 7, 1), valid_to=dt.date(2025, 6, 30)
        )
    )
    SupportLink.objects.create(
        hub=hue, spoke=clinic, valid_from=dt.date(2025, 7, 1), valid_to=dt.date(2025, 7, 1)
    )
    assert SupportLink.objects.filter(spoke=clinic).count() == 1


def test_second_link_between_the_same_hub_and_spoke_is_refused_by_the_database():
    hue = Facility.objects.get(name=HUE)
    lung_cu = Facility.objects.get(name=LUNG_CU)

    refused_by_database(SupportLink(hub=hue, spoke=lung_cu, priority=3))

    assert SupportLink.objects.filter(hub=hue, spoke=lung_cu).count() == 1


@pytest.mark.parametrize("role", ["worker", "specialist", "coordinator", "clinician", "officer"])
def test_membership_without_facility_is_refused_by_the_database_for_facility_roles(role):
    refused_by_database(Membership(user=new_user(), role=role, facility=None))


@pytest.mark.parametrize("role", ["donor", "admin"])
def test_donor_and_admin_memberships_need_no_facility(role):
    Membership.objects.create(user=new_user(), role=role, facility=None, organisation="KOFIH")

    assert Membership.objects.filter(user__username="newcomer", facility=None).count() == 1


def test_unknown_role_is_refused_by_the_database():
    refused_by_database(Membership(user=new_user(), role="visitor", organisation="x"))


def test_duplicate_licence_number_is_refused_by_the_database():
    lung_cu = Facility.objects.get(name=LUNG_CU)
    taken = Membership.objects.get(user__username="worker").licence_number
    assert taken

    refused_by_database(
        Membership(user=new_user(), role=Role.WORKER, facility=lung_cu, licence_number=taken)
    )

    assert Membership.objects.filter(licence_number=taken).count() == 1


def test_several_people_without_a_licence_are_allowed():
    lung_cu = Facility.objects.get(name=LUNG_CU)

    for username in ("first", "second"):
        Membership.objects.create(user=new_user(username), role=Role.WORKER, facility=lung_cu)

    assert Membership.objects.filter(facility=lung_cu, licence_number="").count() >= 2


def test_same_role_twice_at_the_same_facility_is_refused_by_the_database(worker):
    lung_cu = Facility.objects.get(name=LUNG_CU)

    refused_by_database(Membership(user=worker, role=Role.WORKER, facility=lung_cu))


# --- clean() -----------------------------------------------------------------------------------


def test_health_department_with_a_level_fails_clean(cao_bang):
    facility = new_facility(cao_bang, kind="health_department", level="basic")

    with pytest.raises(ValidationError) as exc:
        facility.clean()

    assert messages(exc) == {"level": ["A health department has no technical level."]}


def test_facility_of_care_without_a_level_fails_clean(cao_bang):
    facility = new_facility(cao_bang, level="")

    with pytest.raises(ValidationError) as exc:
        facility.clean()

    assert messages(exc) == {"level": ["Choose the technical level of the facility."]}


def test_commune_outside_the_province_fails_clean(cao_bang):
    hue_ward = Commune.objects.get(code=19789)
    assert hue_ward.province.code == 46
    facility = new_facility(cao_bang, commune=hue_ward)

    with pytest.raises(ValidationError) as exc:
        facility.clean()

    assert messages(exc) == {"commune": ["The commune is not in the chosen province."]}
    facility.commune = Commune.objects.get(code=1290)
    facility.clean()


def test_specialist_at_a_facility_that_is_not_a_hub_fails_clean():
    lung_cu = Facility.objects.get(name=LUNG_CU)
    membership = Membership(user=new_user(), role=Role.SPECIALIST, facility=lung_cu)

    with pytest.raises(ValidationError) as exc:
        membership.clean()

    assert messages(exc) == {"role": ["Specialists and coordinators work at a hub."]}
    membership.facility = Facility.objects.get(name=HUE)
    membership.clean()


def test_coordinator_at_a_facility_that_is_not_a_hub_fails_clean():
    lung_cu = Facility.objects.get(name=LUNG_CU)
    membership = Membership(user=new_user(), role=Role.COORDINATOR, facility=lung_cu)

    with pytest.raises(ValidationError) as exc:
        membership.clean()

    assert messages(exc) == {"role": ["Specialists and coordinators work at a hub."]}


def test_officer_outside_a_health_department_fails_clean():
    lung_cu = Facility.objects.get(name=LUNG_CU)
    membership = Membership(user=new_user(), role=Role.OFFICER, facility=lung_cu)

    with pytest.raises(ValidationError) as exc:
        membership.clean()

    assert messages(exc) == {
        "facility": ["An M&E officer belongs to a provincial health department."]
    }


def test_worker_without_facility_fails_clean():
    membership = Membership(user=new_user(), role=Role.WORKER)

    with pytest.raises(ValidationError) as exc:
        membership.clean()

    assert messages(exc) == {"facility": ["This role needs a facility."]}


def test_duplicate_licence_number_fails_full_clean_with_a_readable_message():
    lung_cu = Facility.objects.get(name=LUNG_CU)
    taken = Membership.objects.get(user__username="worker").licence_number
    membership = Membership(
        user=new_user(), role=Role.WORKER, facility=lung_cu, licence_number=taken
    )

    with translation.override("en"), pytest.raises(ValidationError) as exc:
        membership.full_clean()

    assert messages(exc) == {"__all__": ["Another person already has this licence number."]}


def test_malformed_licence_number_fails_full_clean():
    lung_cu = Facility.objects.get(name=LUNG_CU)
    membership = Membership(
        user=new_user(), role=Role.WORKER, facility=lung_cu, licence_number="12345"
    )

    with pytest.raises(ValidationError) as exc:
        membership.full_clean()

    assert set(messages(exc)) == {"licence_number"}


def test_support_link_clean_refuses_self_support_non_hubs_and_reversed_dates():
    hue = Facility.objects.get(name=HUE)
    lung_cu = Facility.objects.get(name=LUNG_CU)

    with pytest.raises(ValidationError) as itself:
        SupportLink(hub=hue, spoke=hue).clean()
    with pytest.raises(ValidationError) as not_a_hub:
        SupportLink(hub=lung_cu, spoke=hue).clean()
    with pytest.raises(ValidationError) as reversed_dates:
        SupportLink(
            hub=hue, spoke=lung_cu, valid_from=dt.date(2025, 7, 1), valid_to=dt.date(2025, 1, 1)
        ).clean()

    assert messages(itself) == {"spoke": ["A hub cannot support itself."]}
    assert messages(not_a_hub) == {"hub": ["This facility is not marked as a hub."]}
    assert messages(reversed_dates) == {"valid_to": ["The end date is before the start date."]}


def test_facility_code_must_be_five_to_sixteen_digits_or_capitals(cao_bang):
    for bad in ("0830", "08a05", "08-305", "0" * 17):
        with pytest.raises(ValidationError) as exc:
            new_facility(cao_bang, code=bad).full_clean()
        assert "code" in messages(exc), bad
    new_facility(cao_bang, code="08990").full_clean()


def test_saving_a_facility_stores_its_folded_search_name(cao_bang):
    facility = new_facility(cao_bang, name="Phòng khám Đa khoa ĐỒNG VĂN", short_name="PK Đồng Văn")
    facility.save()

    facility.refresh_from_db()
    assert facility.search_name == "phong kham da khoa dong van pk dong van 08990"
    assert Facility.objects.search("dong van").filter(pk=facility.pk).exists()
