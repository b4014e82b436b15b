"""Reads for the protocol pages and the API."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.core.text import fold
from caunoi.network.access import CLINICAL_ROLES
from caunoi.network.models import Facility, Membership
from caunoi.protocols.access import visible_protocols
from caunoi.protocols.models import Acknowledgement, Protocol, ProtocolVersion


def protocol_list(
    user: User | AnonymousUser, *, q: str = "", unread: bool = False, kind: str = ""
) -> QuerySet[ProtocolVersion]:
    """The current version of each protocol the user may read, with whether they read it."""
    qs = ProtocolVersion.objects.filter(
        protocol__in=visible_protocols(user), superseded_at__isnull=True
    ).select_related("protocol__publisher", "protocol__specialty")
    for term in fold(q).split():
        qs = qs.filter(protocol__search_text__contains=term)
    if kind:
        qs = qs.filter(protocol__kind=kind)
    qs = qs.annotate(
        read=Exists(Acknowledgement.objects.filter(version=OuterRef("pk"), user_id=user.pk or 0))
    )
    if unread:
        qs = qs.filter(read=False)
    return qs.order_by("protocol__title_vi", "pk")


@dataclass(frozen=True)
class FacilityReading:
    """Who of one facility's clinical staff has read a version, and who has not."""

    facility: Facility
    read: list[User]
    unread: list[User]

    @property
    def total(self) -> int:
        return len(self.read) + len(self.unread)

    @property
    def share(self) -> int:
        return len(self.read) * 100 // self.total if self.total else 0


def readings(version: ProtocolVersion) -> list[FacilityReading]:
    """Per facility of the version's audience: its clinical staff who have read it and who have
    not (facilities with fewest read first)."""
    facilities = list(version.audience.select_related("province"))
    members: dict[int, dict[int, User]] = {f.pk: {} for f in facilities}
    for m in (
        Membership.objects.active()
        .filter(facility__in=facilities, role__in=sorted(CLINICAL_ROLES))
        .select_related("user")
        .order_by("user__full_name")
    ):
        assert m.facility_id is not None
        members[m.facility_id].setdefault(m.user_id, m.user)
    read = set(version.acknowledgements.values_list("user_id", flat=True))
    rows = [
        FacilityReading(
            facility=f,
            read=[u for pk, u in members[f.pk].items() if pk in read],
            unread=[u for pk, u in members[f.pk].items() if pk not in read],
        )
        for f in facilities
    ]
    return sorted(rows, key=lambda r: (r.share, r.facility.name))


def review_overdue(version: ProtocolVersion) -> bool:
    return version.is_current and version.review_on <= timezone.localdate()


def current_version(protocol: Protocol) -> ProtocolVersion | None:
    return protocol.versions.filter(superseded_at__isnull=True).first()
