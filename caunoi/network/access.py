"""Who may see what, derived from a user's active memberships.

Every page, API endpoint and admin screen asks this module; later apps (patients, consults,
referrals) build their access helpers on ``user_scope``. Refusals raise Http404, so "not
yours" and "does not exist" look the same from outside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from django.contrib.auth.models import AnonymousUser

from caunoi.core.access import get_or_404
from caunoi.core.person import Person
from caunoi.network.models import Facility, FacilityQuerySet, Membership, Role, Status

# When a person holds several roles, their home page follows the first of these they hold.
ROLE_PRECEDENCE = [
    Role.ADMIN,
    Role.COORDINATOR,
    Role.SPECIALIST,
    Role.CLINICIAN,
    Role.WORKER,
    Role.OFFICER,
    Role.DONOR,
]
CLINICAL_ROLES = frozenset({Role.WORKER, Role.SPECIALIST, Role.COORDINATOR, Role.CLINICIAN})


@dataclass(frozen=True)
class Scope:
    """What one user may reach. Built once per request from their memberships."""

    user_id: int | None
    roles: frozenset[str] = frozenset()
    # Facilities whose own patients and cases the user works with (any clinical role).
    facility_ids: frozenset[int] = frozenset()
    # Hubs whose routed cases the user answers (specialists) or triages (coordinators).
    hub_ids: frozenset[int] = frozenset()
    coordinator_hub_ids: frozenset[int] = frozenset()
    # Provinces the user monitors in aggregate (M&E officers).
    province_ids: frozenset[int] = frozenset()
    specialty_ids: frozenset[int] = frozenset()
    is_network_admin: bool = False
    memberships: tuple[Membership, ...] = field(default=(), compare=False, repr=False)

    @property
    def primary_role(self) -> str | None:
        for role in ROLE_PRECEDENCE:
            if role in self.roles:
                return role
        return None

    @property
    def is_clinical(self) -> bool:
        return bool(self.roles & CLINICAL_ROLES)

    @property
    def aggregates_only(self) -> bool:
        """Officers and programme viewers see counts, never a patient."""
        return not self.is_clinical


ANONYMOUS = Scope(user_id=None)
# Where user_scope keeps its answer on the user object for the rest of the request.
_SCOPE_CACHE = "_caunoi_scope"


def user_scope(user: Person | AnonymousUser | None) -> Scope:
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    cached: Scope | None = getattr(user, _SCOPE_CACHE, None)
    if cached is not None:
        return cached
    memberships = tuple(
        Membership.objects.active()
        .filter(user_id=user.pk)
        .select_related("facility")
        .prefetch_related("specialties")
    )
    roles: set[str] = set()
    facility_ids: set[int] = set()
    hub_ids: set[int] = set()
    coordinator_hub_ids: set[int] = set()
    province_ids: set[int] = set()
    specialty_ids: set[int] = set()
    for m in memberships:
        facility = m.facility
        if facility is not None and facility.status != Status.ACTIVE:
            continue
        roles.add(m.role)
        specialty_ids.update(s.id for s in m.specialties.all())
        if facility is None:
            continue
        if m.role in CLINICAL_ROLES:
            facility_ids.add(facility.id)
        if m.role in (Role.SPECIALIST, Role.COORDINATOR) and facility.is_hub:
            hub_ids.add(facility.id)
            if m.role == Role.COORDINATOR:
                coordinator_hub_ids.add(facility.id)
        if m.role == Role.OFFICER:
            province_ids.add(facility.province_id)
    scope = Scope(
        user_id=user.pk,
        roles=frozenset(roles),
        facility_ids=frozenset(facility_ids),
        hub_ids=frozenset(hub_ids),
        coordinator_hub_ids=frozenset(coordinator_hub_ids),
        province_ids=frozenset(province_ids),
        specialty_ids=frozenset(specialty_ids),
        is_network_admin=Role.ADMIN in roles or bool(user.is_superuser),
        memberships=memberships,
    )
    setattr(user, _SCOPE_CACHE, scope)  # Person declares no such attribute
    return scope


def visible_facilities(user: Person | AnonymousUser | None) -> FacilityQuerySet:
    """The directory: every signed-in person sees the active network; administrators also see
    inactive facilities."""
    scope = user_scope(user)
    if scope.user_id is None:
        return Facility.objects.none()
    qs = Facility.objects.all()
    if not scope.is_network_admin:
        qs = qs.active()
    return qs


def access_facility(user: Person | AnonymousUser | None, public_id: UUID | str) -> Facility:
    return get_or_404(
        visible_facilities(user).select_related("province", "commune"), public_id=public_id
    )
