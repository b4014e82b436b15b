"""Who publishes and who reads protocols.

A hub's specialists and coordinators publish for the hub; a provincial health department's
officers publish for the department. A protocol is read by its publisher's staff, by the
clinical staff of the facilities any of its versions was published to, and by the officers of
the publisher's province. Everyone else: 404. Protocols hold no patient data."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from caunoi.accounts.models import User
from caunoi.core.access import get_or_404
from caunoi.network.access import user_scope
from caunoi.network.models import Facility, FacilityKind, Role
from caunoi.protocols.models import Protocol


def publishing_facility_ids(user: User | AnonymousUser) -> set[int]:
    scope = user_scope(user)
    ids = set(scope.hub_ids)
    for m in scope.memberships:
        if (
            m.role == Role.OFFICER
            and m.facility is not None
            and m.facility.kind == FacilityKind.HEALTH_DEPARTMENT
        ):
            ids.add(m.facility.pk)
    return ids


def can_publish(user: User | AnonymousUser, facility: Facility) -> bool:
    return facility.pk in publishing_facility_ids(user)


def visible_protocols(user: User | AnonymousUser) -> QuerySet[Protocol]:
    scope = user_scope(user)
    if scope.user_id is None:
        return Protocol.objects.none()
    matches = Protocol.objects.filter(
        Q(publisher_id__in=publishing_facility_ids(user))
        | Q(versions__audience__in=scope.facility_ids)
        | Q(publisher__province_id__in=scope.province_ids)
    )
    return Protocol.objects.filter(pk__in=matches.values("pk"))


def access_protocol(user: User | AnonymousUser, public_id: UUID | str) -> Protocol:
    return get_or_404(
        visible_protocols(user).select_related("publisher", "specialty"), public_id=public_id
    )
