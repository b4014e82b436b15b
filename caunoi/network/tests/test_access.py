"""network.access: what each persona may reach, and the 404 that hides everything else."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from caunoi.accounts.models import User
from caunoi.network.access import access_facility, user_scope, visible_facilities
from caunoi.network.models import Facility, Membership, Role, Specialty, Status
from caunoi.places.models import Province

pytestmark = pytest.mark.django_db

LUNG_CU = "Trạm Y tế xã Bảo Lâm"  # the worker persona's station
HUE = "Bệnh viện Trung ương Huế"
BVDK_TQ = "Bệnh viện Đa khoa tỉnh Cao Bằng"
SYT_TQ = "Sở Y tế tỉnh Cao Bằng"


def fid(name: str) -> int:
    return Facility.objects.get(name=name).id


def fresh(user: User) -> User:
    """A new instance: user_scope caches its answer on the user object."""
    return User.objects.get(pk=user.pk)


def expected_scope(persona: str) -> dict[str, Any]:
    internal = Specialty.objects.get(code="internal-medicine").id
    cao_bang = Province.objects.get(code=4).id
    none: frozenset[int] = frozenset()
    base = {
        "facility_ids": none,
        "hub_ids": none,
        "coordinator_hub_ids": none,
        "province_ids": none,
        "specialty_ids": none,
        "is_network_admin": False,
        "aggregates_only": False,
    }
    table: dict[str, dict[str, Any]] = {
        "worker": {"roles": {"worker"}, "facility_ids": frozenset({fid(LUNG_CU)})},
        "specialist": {
            "roles": {"specialist"},
            "facility_ids": frozenset({fid(HUE)}),
            "hub_ids": frozenset({fid(HUE)}),
            "specialty_ids": frozenset({internal}),
        },
        "coordinator": {
            "roles": {"coordinator"},
            "facility_ids": frozenset({fid(HUE)}),
            "hub_ids": frozenset({fid(HUE)}),
            "coordinator_hub_ids": frozenset({fid(HUE)}),
        },
        "receiver": {
            "roles": {"clinician"},
            "facility_ids": frozenset({fid(BVDK_TQ)}),
            "specialty_ids": frozenset({internal}),
        },
        "officer": {
            "roles": {"officer"},
            "province_ids": frozenset({cao_bang}),
            "aggregates_only": True,
        },
        "donor": {"roles": {"donor"}, "aggregates_only": True},
        "admin": {"roles": {"admin"}, "is_network_admin": True, "aggregates_only": True},
    }
    return {**base, **table[persona]}


PRIMARY = {
    "worker": "worker",
    "specialist": "specialist",
    "coordinator": "coordinator",
    "receiver": "clinician",
    "officer": "officer",
    "donor": "donor",
    "admin": "admin",
}


@pytest.mark.parametrize("persona", list(PRIMARY))
def test_user_scope_of_each_persona(persona):
    user = User.objects.get(username=persona)
    expected = expected_scope(persona)

    scope = user_scope(user)

    assert scope.user_id == user.pk
    assert scope.roles == frozenset(expected["roles"])
    assert scope.primary_role == PRIMARY[persona]
    for name in (
        "facility_ids",
        "hub_ids",
        "coordinator_hub_ids",
        "province_ids",
        "specialty_ids",
        "is_network_admin",
        "aggregates_only",
    ):
        assert getattr(scope, name) == expected[name], name
    assert scope.is_clinical is not expected["aggregates_only"]


def test_outsider_has_an_empty_scope(outsider):
    scope = user_scope(outsider)

    assert scope.user_id == outsider.pk
    assert scope.roles == frozenset()
    assert scope.facility_ids == scope.hub_ids == scope.province_ids == frozenset()
    assert scope.primary_role is None
    assert scope.is_network_admin is False
    assert scope.aggregates_only is True
    assert scope.memberships == ()


def test_anonymous_visitor_has_no_scope_and_sees_no_facility():
    scope = user_scope(AnonymousUser())

    assert scope.user_id is None
    assert scope.roles == frozenset()
    assert not visible_facilities(AnonymousUser()).exists()


def test_inactive_membership_gives_no_access(worker):
    Membership.objects.filter(user=worker).update(is_active=False)

    scope = user_scope(fresh(worker))

    assert scope.roles == frozenset()
    assert scope.facility_ids == frozenset()
    assert scope.primary_role is None
    assert scope.memberships == ()


def test_inactive_facility_gives_its_staff_no_access(worker):
    Facility.objects.filter(name=LUNG_CU).update(status=Status.INACTIVE)

    scope = user_scope(fresh(worker))

    assert scope.roles == frozenset()
    assert scope.facility_ids == frozenset()
    assert scope.primary_role is None


def test_officer_of_an_inactive_department_monitors_no_province(officer):
    Facility.objects.filter(name=SYT_TQ).update(status=Status.INACTIVE)

    scope = user_scope(fresh(officer))

    assert scope.province_ids == frozenset()
    assert scope.roles == frozenset()


def test_deactivated_user_has_no_scope(specialist):
    specialist.is_active = False
    specialist.save(update_fields=["is_active"])

    scope = user_scope(fresh(specialist))

    assert scope.user_id is None
    assert scope.hub_ids == frozenset()


def test_superuser_without_membership_is_network_admin(outsider):
    outsider.is_superuser = True
    outsider.save(update_fields=["is_superuser"])

    scope = user_scope(fresh(outsider))

    assert scope.is_network_admin is True
    assert scope.roles == frozenset()


def test_person_with_several_roles_lands_on_the_highest_one(specialist):
    hue = Facility.objects.get(name=HUE)
    Membership.objects.create(user=specialist, facility=hue, role=Role.COORDINATOR)

    scope = user_scope(fresh(specialist))

    assert scope.roles == {"specialist", "coordinator"}
    assert scope.primary_role == "coordinator"
    assert scope.coordinator_hub_ids == {hue.id}


def test_worker_who_also_monitors_a_province_stays_a_worker_at_home(worker):
    department = Facility.objects.get(name=SYT_TQ)
    Membership.objects.create(user=worker, facility=department, role=Role.OFFICER)

    scope = user_scope(fresh(worker))

    assert scope.primary_role == "worker"
    assert scope.province_ids == {department.province_id}
    # Monitoring does not make the department a place whose cases she works with.
    assert department.id not in scope.facility_ids
    assert scope.aggregates_only is False


def test_scope_is_built_in_two_queries_and_then_cached(worker, django_assert_num_queries):
    user = fresh(worker)

    with django_assert_num_queries(2):
        first = user_scope(user)
    with django_assert_num_queries(0):
        second = user_scope(user)

    assert first is second


# --- access_facility ---------------------------------------------------------------------------


def test_worker_reaches_an_active_facility(worker):
    hue = Facility.objects.get(name=HUE)

    assert access_facility(worker, hue.public_id) == hue
    assert access_facility(worker, str(hue.public_id)) == hue


def test_inactive_facility_is_404_for_a_worker_but_visible_to_the_admin(worker, network_admin):
    hue = Facility.objects.get(name=HUE)
    Facility.objects.filter(pk=hue.pk).update(status=Status.INACTIVE)

    with pytest.raises(Http404):
        access_facility(fresh(worker), hue.public_id)
    found = access_facility(fresh(network_admin), hue.public_id)

    assert found.pk == hue.pk
    assert found.status == Status.INACTIVE


# A fixed unknown id: parameters must be the same in every pytest-xdist worker.
UNKNOWN = "0b7a6f0e-3c1d-4e8a-9f2b-5d6c7e8f9a0b"


@pytest.mark.parametrize("facility_id", [UNKNOWN, "not-a-uuid", "", "1", None])
def test_nonexistent_or_malformed_facility_id_is_404(network_admin, facility_id):
    with pytest.raises(Http404):
        access_facility(network_admin, facility_id)


def test_anonymous_visitor_gets_404_for_an_existing_facility():
    hue = Facility.objects.get(name=HUE)

    with pytest.raises(Http404):
        access_facility(AnonymousUser(), hue.public_id)


def test_outsider_sees_the_active_directory_but_not_inactive_facilities(outsider):
    hue = Facility.objects.get(name=HUE)

    assert access_facility(outsider, hue.public_id) == hue
    Facility.objects.filter(pk=hue.pk).update(status=Status.INACTIVE)
    with pytest.raises(Http404):
        access_facility(fresh(outsider), hue.public_id)


def test_visible_facilities_are_the_active_network_or_everything_for_the_admin(
    worker, network_admin
):
    Facility.objects.filter(name=LUNG_CU).update(status=Status.INACTIVE)
    active = Facility.objects.filter(status=Status.ACTIVE).count()
    everything = Facility.objects.count()

    assert visible_facilities(fresh(worker)).count() == active == everything - 1
    assert visible_facilities(fresh(network_admin)).count() == everything
