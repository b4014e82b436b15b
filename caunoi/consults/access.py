"""Who may see and do what with a consultation.

Visible to: the staff of the requesting facility; the staff of the hub it is routed to; people
brought into the case (a second opinion, or a guest of a video session while it runs). Everyone
else gets 404. Who may bring whom into a case is ruled once, by ``case_invite_check``. What a visible person may *do* is
``consult_permissions``; services check it again, so a forged form cannot do more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from caunoi.accounts.models import User
from caunoi.consults.models import Consultation, Participant, PendingUpload, Status
from caunoi.core.access import get_or_404
from caunoi.network.access import CLINICAL_ROLES, Scope, user_scope
from caunoi.network.models import Membership, Role

# Who can be brought into a case from outside it: people who give clinical opinions.
CASE_GUEST_ROLES = (Role.SPECIALIST, Role.COORDINATOR, Role.CLINICIAN)


def _ways_in(scope: Scope) -> tuple[Q, list[Q]]:
    """The ways a person sees a consultation: as its requesting facility's staff, and the
    others (its hub's staff, invited into the case). Drafts are seen by the requesting side
    only."""
    invited = (
        Participant.objects.active().filter(user_id=scope.user_id or 0).values("consultation_id")
    )
    others = [Q(id__in=invited)]
    if scope.hub_ids:
        others.insert(0, Q(hub_id__in=scope.hub_ids))
    return Q(requester_facility_id__in=scope.facility_ids), others


def visible_consultations(user: User | AnonymousUser) -> QuerySet[Consultation]:
    scope = user_scope(user)
    if not scope.is_clinical:
        return Consultation.objects.none()
    own, others = _ways_in(scope)
    visible = own
    for way in others:
        visible |= way
    return (
        Consultation.objects.filter(visible)
        .exclude(~own, status=Status.DRAFT)
        .as_read("teleconsultation")
    )


def shared_consultations(user: User | AnonymousUser) -> list[QuerySet[Consultation]]:
    """The consultations visible to ``user`` that their own facilities did not ask, one
    queryset per way in (each backed by its own index), for ``patients.sharing``: together
    exactly ``visible_consultations(user)`` minus the requesting side's."""
    scope = user_scope(user)
    if not scope.is_clinical:
        return []
    own, others = _ways_in(scope)
    return [
        Consultation.objects.filter(way)
        .exclude(own)
        .exclude(status=Status.DRAFT)
        .as_read("teleconsultation")
        for way in others
    ]


def access_consultation(
    user: User | AnonymousUser, public_id: UUID | str, *, for_update: bool = False
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
    return get_or_404(qs, public_id=public_id)


def pending_uploads_for(
    user: User | AnonymousUser, client_id: UUID | str
) -> QuerySet[PendingUpload]:
    """The files kept for one of ``user``'s consult forms (``client_id``) after it came back with
    an error: only their own, and only while the patient is still one of their facility's."""
    scope = user_scope(user)
    if not scope.is_clinical:
        return PendingUpload.objects.none()
    return (
        PendingUpload.objects.filter(
            owner_id=scope.user_id,
            client_id=client_id,
            patient__facility_id__in=scope.facility_ids,
        )
        .select_related("patient")
        .as_read("teleconsultation")
    )


def access_pending_upload(user: User | AnonymousUser, public_id: UUID | str) -> PendingUpload:
    scope = user_scope(user)
    return get_or_404(
        PendingUpload.objects.filter(
            owner_id=scope.user_id or 0, patient__facility_id__in=scope.facility_ids
        ).as_read("teleconsultation"),
        public_id=public_id,
    )


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
    return c.hub_id in scope.hub_ids and any(
        m.role == Role.SPECIALIST and m.facility_id == c.hub_id and m.is_active
        for m in scope.memberships
    )


def _specialist_in_specialty(scope: Scope, c: Consultation) -> bool:
    """A specialist of the consult's hub whose membership *there* covers its specialty (a
    specialty held at another facility does not count)."""
    return any(
        m.role == Role.SPECIALIST
        and m.facility_id == c.hub_id
        and m.is_active
        and any(s.id == c.specialty_id for s in m.specialties.all())
        for m in scope.memberships
    )


def can_advise(scope: Scope, c: Consultation) -> bool:
    """Who records the hub's advice (the rule and its reasons are in the README): the one
    specialist answering the case — whoever claimed it or was assigned it, while still a
    specialist of the hub — or, while no one has taken it, a specialist of the hub in its
    specialty (advising then takes it, as claiming would). Invited colleagues, coordinators,
    other specialists and the requesting side give their view in the thread."""
    if not c.is_open:
        return False
    if not _hub_specialist(scope, c):
        return False
    if c.specialist_id is not None:
        return c.specialist_id == scope.user_id
    return _specialist_in_specialty(scope, c)


def consult_permissions(user: User | AnonymousUser | None, c: Consultation) -> ConsultPermissions:
    scope = user_scope(user)
    requester_side = c.requester_facility_id in scope.facility_ids
    hub_side = c.hub_id is not None and c.hub_id in scope.hub_ids
    coordinator = c.hub_id is not None and c.hub_id in scope.coordinator_hub_ids
    invited = (
        Participant.objects.active().filter(consultation=c, user_id=scope.user_id or 0).exists()
    )
    is_open = c.is_open
    draft = c.status == Status.DRAFT
    return ConsultPermissions(
        is_requester_side=requester_side,
        is_hub_side=hub_side,
        is_invited=invited,
        can_edit_draft=draft and requester_side,
        can_message=is_open and (requester_side or hub_side or invited),
        can_attach=(is_open or draft) and (requester_side or hub_side or invited),
        can_advise=can_advise(scope, c),
        can_claim=c.status == Status.SUBMITTED
        and c.specialist_id is None
        and _specialist_in_specialty(scope, c),
        can_assign=is_open and coordinator,
        can_reroute=c.status in (Status.SUBMITTED, Status.ASSIGNED) and coordinator,
        can_invite=is_open and (hub_side or c.specialist_id == scope.user_id),
        can_close=c.status == Status.ANSWERED and requester_side,
        can_cancel=c.status in (Status.DRAFT, Status.SUBMITTED) and requester_side,
    )


# --- who may bring whom into a case ----------------------------------------------------------


def in_case(user: User | AnonymousUser, c: Consultation) -> bool:
    """Whether ``user`` already sees the case (requester side, hub side, or brought in)."""
    return visible_consultations(user).filter(pk=c.pk).exists()


def case_invite_check(*, actor: User, consultation: Consultation, invitee: User) -> bool:
    """The one rule for bringing someone into a case, used by the second-opinion invite, the
    video page, the video API and the room: it raises when ``actor`` may not bring ``invitee``,
    and answers whether ``invitee`` comes from outside the case (and so needs a grant).

    Anyone taking part in an open case may call the people already in it. Only the hub's side
    (its staff, or the assigned specialist) brings in someone from outside, and only a
    specialist, coordinator or clinician; the requesting side brings in no one (its patient's
    record is not its to hand out beyond the hub that supports it)."""
    perms = consult_permissions(actor, consultation)
    if not perms.can_message:
        raise PermissionDenied(_("You cannot invite anyone to this consultation."))
    if in_case(invitee, consultation):
        return False
    if not perms.can_invite:
        raise PermissionDenied(
            _("Only the hub's staff can bring someone from outside into this consultation.")
        )
    if (
        not getattr(invitee, "is_active", False)
        or not Membership.objects.active()
        .filter(user=invitee, role__in=CASE_GUEST_ROLES, facility__isnull=False)
        .exists()
    ):
        raise ValidationError(
            _("Only specialists, coordinators and clinicians can be brought into a case: %(name)s.")
            % {"name": invitee.get_full_name()}
        )
    return True


def case_invite_candidates(actor: User, c: Consultation) -> QuerySet[Any]:
    """The people ``actor`` may bring into a video session about ``c``, by the rule of
    ``case_invite_check``, in a fixed number of queries: the people of the case, and — for the
    hub's side — the specialists and coordinators of the actor's hubs."""
    perms = consult_permissions(actor, c)
    if not perms.can_message:
        return User.objects.none()
    clinical = Membership.objects.active().filter(facility__isnull=False)
    ids = set(
        clinical.filter(
            Q(facility_id=c.requester_facility_id, role__in=CLINICAL_ROLES)
            | Q(facility_id=c.hub_id or 0, role__in=(Role.SPECIALIST, Role.COORDINATOR))
        ).values_list("user_id", flat=True)
    )
    ids.update(
        Participant.objects.active().filter(consultation=c).values_list("user_id", flat=True)
    )
    ids.update(x for x in (c.requester_id, c.specialist_id) if x)
    if perms.can_invite:
        ids.update(
            clinical.filter(
                facility_id__in=user_scope(actor).hub_ids, role__in=CASE_GUEST_ROLES
            ).values_list("user_id", flat=True)
        )
    return User.objects.filter(id__in=ids, is_active=True)
