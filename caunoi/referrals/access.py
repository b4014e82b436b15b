"""Who may see and act on a referral: the referring facility's staff, the receiving facility's
staff, and the hub staff of the consultation it came from (read only). Everyone else: 404."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from caunoi.accounts.models import User
from caunoi.consults.models import Consultation
from caunoi.core.access import get_or_404
from caunoi.network.access import user_scope
from caunoi.referrals.models import Referral, ReferralStatus


def visible_referrals(user: User | AnonymousUser) -> QuerySet[Referral]:
    scope = user_scope(user)
    if not scope.is_clinical:
        return Referral.objects.none()
    hub_consults = Consultation.objects.filter(hub_id__in=scope.hub_ids).values("id")
    return Referral.objects.filter(
        Q(from_facility_id__in=scope.facility_ids)
        | Q(to_facility_id__in=scope.facility_ids)
        | Q(consultation_id__in=hub_consults)
    ).as_read("referral")


def access_referral(user: User | AnonymousUser, public_id: UUID | str) -> Referral:
    qs = visible_referrals(user).select_related(
        "patient",
        "patient__commune",
        "patient__commune__province",
        "from_facility",
        "to_facility",
        "created_by",
        "consultation",
        "decided_by",
        "counter_referred_by",
    )
    return get_or_404(qs, public_id=public_id)


@dataclass(frozen=True)
class ReferralPermissions:
    is_sender: bool
    is_receiver: bool
    can_decide: bool
    can_arrive: bool
    can_discharge: bool
    can_counter_refer: bool
    can_acknowledge: bool
    can_cancel: bool
    can_redirect: bool


def referral_permissions(user: User | AnonymousUser, r: Referral) -> ReferralPermissions:
    scope = user_scope(user)
    sender = r.from_facility_id in scope.facility_ids
    receiver = r.to_facility_id in scope.facility_ids
    return ReferralPermissions(
        is_sender=sender,
        is_receiver=receiver,
        can_decide=receiver and r.status == ReferralStatus.SENT,
        can_arrive=receiver and r.status == ReferralStatus.ACCEPTED,
        can_discharge=receiver and r.status == ReferralStatus.ARRIVED,
        can_counter_refer=receiver and r.status == ReferralStatus.DISCHARGED,
        can_acknowledge=sender and r.status == ReferralStatus.COUNTER_REFERRED,
        can_cancel=sender and r.status == ReferralStatus.SENT,
        can_redirect=sender and r.status == ReferralStatus.DECLINED,
    )
