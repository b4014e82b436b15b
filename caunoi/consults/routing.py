"""Which hub answers a consultation, and who at the hub hears about it."""

from __future__ import annotations

from django.db.models import Q

from caunoi.accounts.models import User
from caunoi.network.models import Facility, Membership, Role, Specialty, SupportLink


def route(facility: Facility, specialty: Specialty) -> Facility | None:
    """The current support link of ``facility`` for ``specialty``, lowest priority first."""
    link = (
        SupportLink.objects.current()
        .filter(spoke=facility, specialties=specialty)
        .select_related("hub")
        .order_by("priority", "id")
        .first()
    )
    return link.hub if link is not None else None


def hub_staff(
    hub_id: int, *, roles: tuple[str, ...], specialty_id: int | None = None
) -> list[User]:
    """Active people of a hub in ``roles``; with ``specialty_id``, specialists of that specialty
    only (coordinators answer for every specialty of their hub)."""
    qs = Membership.objects.active().filter(facility_id=hub_id, role__in=roles)
    if specialty_id is not None:
        qs = qs.filter(Q(role=Role.COORDINATOR) | Q(specialties__id=specialty_id))
    users = User.objects.filter(id__in=qs.values("user_id"), is_active=True)
    return list(users.order_by("id"))
