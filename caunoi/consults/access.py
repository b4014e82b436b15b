"""Who may see and do what with a consultation.

Visible to: the staff of the requesting facility; the staff of the hub it is routed to; people
invited for a second opinion. Everyone else gets 404. What a visible person may *do* is
``consult_permissions``; services check it again, so a forged form cannot do more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404

from caunoi.consults.models import Consultation, Participant, Status
from caunoi.network.access import Scope, user_scope
from caunoi.network.models import Role


def visible_consultations(user: Any) -> QuerySet[Consultation]:
    scope = user_scope(user)
    if not scope.is_clinical:
        return Consultation.objects.none()
    invited = Participant.objects.filter(user_id=scope.user_id or 0).values("consultation_id")
    return Consultation.objects.filter(
        Q(requester_facility_id__in=scope.facility_ids)
        | Q(hub_id__in=scope.hub_ids)
        | Q(id__in=invited)
    ).exclude(~Q(requester_facility_id__in=scope.facility_ids), status=Status.DRAFT)


def access_consultation(
    user: Any, public_id: UUID | str, *, for_update: bool = False
) -> Consultation:
    qs = visible_consultations(user).select_related(
        "patient",
        "patient__commune",
        "patient__commune__province",
        "specialty",
        "hub",
        "requester",
        "requester_facility",
        "specialist",
    )
    try:
        return qs.get(public_id=public_id)
    except (Consultation.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc


@dataclass(frozen=True)
class ConsultPermissions:
    is_requester_side: bool
    is_hub_side: bool
    is_invited: bool
    can_edit_draft: bool
    can_message: bool
    can_attach: bool
    can_advise: bool
    can_claim: bool
    can_assign: bool
    can_reroute: bool
    can_invite: bool
    can_close: bool
    can_cancel: bool


def _hub_specialist(scope: Scope, c: Consultation) -> bool:
    return any(
        m.role == Role.SPECIALIST and m.facility_id == c.hub_id and m.is_active
        for m in scope.memberships
    )


def _specialist_in_specialty(scope: Scope, c: Consultation) -> bool:
    return _hub_specialist(scope, c) and c.specialty_id in scope.specialty_ids


def consult_permissions(user: Any, c: Consultation) -> ConsultPermissions:
    scope = user_scope(user)
    requester_side = c.requester_facility_id in scope.facility_ids
    hub_side = c.hub_id is not None and c.hub_id in scope.hub_ids
    coordinator = c.hub_id is not None and c.hub_id in scope.coordinator_hub_ids
    invited = Participant.objects.filter(consultation=c, user_id=scope.user_id or 0).exists()
    is_open = c.is_open
    draft = c.status == Status.DRAFT
    return ConsultPermissions(
        is_requester_side=requester_side,
        is_hub_side=hub_side,
        is_invited=invited,
        can_edit_draft=draft and requester_side,
        can_message=is_open and (requester_side or hub_side or invited),
        can_attach=(is_open or draft) and (requester_side or hub_side or invited),
        can_advise=is_open
        and (c.specialist_id == scope.user_id or invited or _hub_specialist(scope, c)),
        can_claim=c.status == Status.SUBMITTED
        and c.specialist_id is None
        and _specialist_in_specialty(scope, c),
        can_assign=is_open and coordinator,
        can_reroute=c.status in (Status.SUBMITTED, Status.ASSIGNED) and coordinator,
        can_invite=is_open and (hub_side or c.specialist_id == scope.user_id),
        can_close=c.status == Status.ANSWERED and requester_side,
        can_cancel=c.status in (Status.DRAFT, Status.SUBMITTED) and requester_side,
    )
