"""Who sees and does what with quality self-assessments: a facility's clinical staff fill in
its self-assessment, its head (``Membership.is_head``) submits it; the province's officers read
the scores of its facilities (the health department's view); everyone else: 404."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from caunoi.accounts.models import User
from caunoi.core.access import get_or_404
from caunoi.network.access import user_scope
from caunoi.quality.models import Assessment


def visible_assessments(user: User | AnonymousUser) -> QuerySet[Assessment]:
    scope = user_scope(user)
    if scope.user_id is None:
        return Assessment.objects.none()
    return Assessment.objects.filter(
        Q(facility_id__in=scope.facility_ids) | Q(facility__province_id__in=scope.province_ids)
    )


def access_assessment(user: User | AnonymousUser, public_id: UUID | str) -> Assessment:
    return get_or_404(
        visible_assessments(user).select_related("facility", "criteria_set"), public_id=public_id
    )


def works_at(user: User | AnonymousUser, facility_id: int) -> bool:
    return facility_id in user_scope(user).facility_ids


def heads(user: User | AnonymousUser, facility_id: int) -> bool:
    return any(m.is_head and m.facility_id == facility_id for m in user_scope(user).memberships)
