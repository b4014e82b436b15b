"""Who sees and does what in training.

Courses a centre has published are open to every signed-in member of the network (a catalogue
is meant to be found); drafts and cancelled courses only to the centre's staff. A centre's
staff (its hub specialists and coordinators, or the clinicians of a provincial centre) organise
its courses: enrolments, attendance, scores. A learner sees their own enrolments, ledger and
scores. A facility's head (``Membership.is_head``) nominates its clinical staff for courses,
reads their ledgers (tiết and standing, never test scores) and checks the activities they
declare from elsewhere; officers see counts. Everything else: 404.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from caunoi.accounts.models import User
from caunoi.core.access import get_or_404
from caunoi.network.access import CLINICAL_ROLES, user_scope
from caunoi.network.models import Membership, Role
from caunoi.training.models import (
    CaseStatus,
    Course,
    CourseStatus,
    Enrolment,
    TeachingCase,
    TrainingCentre,
    TrainingSession,
)

# The roles at a centre's facility that organise its courses.
ORGANISER_ROLES = (Role.SPECIALIST, Role.COORDINATOR, Role.CLINICIAN)


def organised_centre_ids(user: User | AnonymousUser) -> set[int]:
    scope = user_scope(user)
    facility_ids = {
        m.facility_id
        for m in scope.memberships
        if m.role in ORGANISER_ROLES and m.facility_id is not None
    }
    if not facility_ids:
        return set()
    return set(
        TrainingCentre.objects.filter(facility_id__in=facility_ids, is_active=True).values_list(
            "id", flat=True
        )
    )


def can_organise(user: User | AnonymousUser, centre: TrainingCentre) -> bool:
    return centre.pk in organised_centre_ids(user)


def visible_courses(user: User | AnonymousUser) -> QuerySet[Course]:
    if not user.is_authenticated or not user.is_active:
        return Course.objects.none()
    return Course.objects.filter(
        Q(status=CourseStatus.PUBLISHED) | Q(centre_id__in=organised_centre_ids(user))
    )


def access_course(user: User | AnonymousUser, public_id: UUID | str) -> Course:
    return get_or_404(
        visible_courses(user).select_related("centre__facility", "specialty"),
        public_id=public_id,
    )


def learner_memberships(user: User | AnonymousUser) -> list[Membership]:
    return [m for m in user_scope(user).memberships if m.facility_id is not None]


def audience_fits(user: User | AnonymousUser, course: Course) -> bool:
    """Whether the course is meant for ``user``: one of their professions (when the course
    names some), one of their facilities' technical levels and provinces (when it names
    some)."""
    memberships = learner_memberships(user)
    if course.professions and not any(m.profession in course.professions for m in memberships):
        return False
    if course.levels and not any(
        m.facility is not None and m.facility.level in course.levels for m in memberships
    ):
        return False
    provinces = {p.pk for p in course.audience_provinces.all()}
    if not provinces:
        return True
    return any(m.facility is not None and m.facility.province_id in provinces for m in memberships)


def my_enrolments(user: User | AnonymousUser) -> QuerySet[Enrolment]:
    if not user.is_authenticated:
        return Enrolment.objects.none()
    return Enrolment.objects.filter(user_id=user.pk)


def access_organised_session(user: User | AnonymousUser, public_id: UUID | str) -> TrainingSession:
    """A session of a course the user organises (its attendance, its check-in code)."""
    return get_or_404(
        TrainingSession.objects.filter(
            course__centre_id__in=organised_centre_ids(user)
        ).select_related("course__centre__facility"),
        public_id=public_id,
    )


def access_session(user: User | AnonymousUser, public_id: UUID | str) -> TrainingSession:
    """A session of a course the user may see (to check in)."""
    return get_or_404(
        TrainingSession.objects.filter(course__in=visible_courses(user)).select_related(
            "course__centre__facility"
        ),
        public_id=public_id,
    )


def can_review_case(user: User | AnonymousUser, case: TeachingCase) -> bool:
    """A coordinator or specialist of the case's hub, other than the person who proposed it."""
    if not user.is_authenticated or user.pk == case.proposed_by_id:
        return False
    return case.hub_id in user_scope(user).hub_ids


def visible_cases(user: User | AnonymousUser) -> QuerySet[TeachingCase]:
    """Approved cases for every clinician (they are de-identified, for teaching); cases under
    review for their proposer and the hub's reviewers only."""
    scope = user_scope(user)
    if not user.is_authenticated or not (scope.is_clinical or organised_centre_ids(user)):
        return TeachingCase.objects.none()
    return TeachingCase.objects.filter(
        Q(status=CaseStatus.APPROVED) | Q(proposed_by_id=user.pk) | Q(hub_id__in=scope.hub_ids)
    )


def access_case(user: User | AnonymousUser, public_id: UUID | str) -> TeachingCase:
    return get_or_404(visible_cases(user).select_related("specialty", "hub"), public_id=public_id)


def headed_facility_ids(user: User | AnonymousUser) -> set[int]:
    """The facilities ``user`` heads."""
    return {
        m.facility_id
        for m in user_scope(user).memberships
        if m.is_head and m.facility_id is not None
    }


def staff_memberships(user: User | AnonymousUser) -> QuerySet[Membership]:
    """The active clinical memberships of the facilities ``user`` heads (not their own)."""
    facilities = headed_facility_ids(user)
    if not facilities or user.pk is None:
        return Membership.objects.none()
    return (
        Membership.objects.active()
        .filter(facility_id__in=facilities, role__in=sorted(CLINICAL_ROLES))
        .exclude(user_id=user.pk)
        .select_related("user", "facility")
    )


def heads_staff(head: User | AnonymousUser, person: User) -> bool:
    """Whether ``head`` heads a facility where ``person`` works (clinically)."""
    return staff_memberships(head).filter(user_id=person.pk).exists()


def access_staff_member(head: User | AnonymousUser, public_id: UUID | str) -> User:
    """A person among the staff ``head`` heads; anyone else: 404."""
    return get_or_404(
        User.objects.filter(pk__in=staff_memberships(head).values("user_id"), is_active=True),
        public_id=public_id,
    )
