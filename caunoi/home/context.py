from __future__ import annotations

from django.http import HttpRequest

from caunoi.network.access import CLINICAL_ROLES, user_scope
from caunoi.network.models import FacilityKind, Role


def navigation(request: HttpRequest) -> dict[str, bool]:
    """What the menu offers: patients and consultations for clinical roles only; the on-call
    roster for the hubs' coordinators, who keep it; technique transfer for the hubs, the
    hospitals that receive techniques and the officers who follow them (not the stations,
    whose menu stays short)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = user_scope(user)
    hospital = any(
        m.facility is not None
        and m.role in CLINICAL_ROLES
        and m.facility.kind not in (FacilityKind.STATION, FacilityKind.HEALTH_DEPARTMENT)
        for m in scope.memberships
    )
    return {
        "nav_clinical": scope.is_clinical,
        "nav_roster": bool(scope.coordinator_hub_ids),
        "nav_transfers": bool(scope.hub_ids or scope.province_ids or hospital),
        "nav_programmes": bool(
            scope.is_network_admin or scope.province_ids or Role.DONOR in scope.roles
        ),
    }
