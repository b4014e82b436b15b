"""Who sees and changes programmes.

A programme viewer (role donor) sees the programmes one of whose partners is their organisation
(``Membership.organisation`` = ``Partner.short_name``): aggregates, money, kits — never patient
data. An M&E officer sees the programmes covering their province. Network administrators see and
manage all; a programme's managers record its money. Everyone else: 404."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from caunoi.accounts.models import User
from caunoi.core.access import get_or_404
from caunoi.network.access import user_scope
from caunoi.network.models import Role
from caunoi.programmes.models import Partner, Programme


def viewer_organisations(user: User | AnonymousUser) -> set[str]:
    return {
        m.organisation.strip().lower()
        for m in user_scope(user).memberships
        if m.role == Role.DONOR and m.organisation.strip()
    }


def visible_programmes(user: User | AnonymousUser) -> QuerySet[Programme]:
    scope = user_scope(user)
    if scope.user_id is None:
        return Programme.objects.none()
    if scope.is_network_admin:
        return Programme.objects.all()
    partners = Partner.objects.annotate(short=Lower("short_name")).filter(
        short__in=sorted(viewer_organisations(user))
    )
    matches = Programme.objects.filter(
        Q(partners__partner__in=partners)
        | Q(provinces__in=scope.province_ids)
        | Q(managers=user.pk)
    )
    return Programme.objects.filter(pk__in=matches.values("pk"))


def access_programme(user: User | AnonymousUser, public_id: UUID | str) -> Programme:
    return get_or_404(visible_programmes(user), public_id=public_id)


def can_manage(user: User | AnonymousUser, programme: Programme) -> bool:
    scope = user_scope(user)
    return scope.is_network_admin or programme.managers.filter(pk=user.pk or 0).exists()
