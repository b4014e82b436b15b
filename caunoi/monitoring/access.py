"""Who sees which figures. Aggregates only, for everyone: no page of this app lists a patient.

- network administrators and programme viewers (donors): the whole network;
- M&E officers: their province(s);
- hub coordinators and specialists: their hub;
- facility staff: their facility.
Anyone else: 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from caunoi.accounts.models import User
from caunoi.core.access import get_or_404
from caunoi.monitoring.catalogue import Place
from caunoi.network.access import user_scope
from caunoi.network.models import Facility, Role
from caunoi.places.models import Province


def allowed_places(user: User | AnonymousUser) -> dict[str, Any]:
    scope = user_scope(user)
    return {
        "network": scope.is_network_admin or Role.DONOR in scope.roles,
        "provinces": set(
            Province.objects.filter(id__in=scope.province_ids).values_list("code", flat=True)
        ),
        "facilities": set(scope.facility_ids) | set(scope.hub_ids),
    }


def resolve_place(user: User | AnonymousUser, text: str) -> Place:
    """``network``, a province code, or a facility id — if the user may see it; else 404."""
    allowed = allowed_places(user)
    text = (text or "").strip()
    if text in ("", "network"):
        if allowed["network"]:
            return Place()
        raise Http404
    if text.isdigit():
        code = int(text)
        visible = allowed["network"] or code in allowed["provinces"]
        if visible and Province.objects.filter(code=code).exists():
            return Place(kind="province", province_code=code)
        raise Http404
    facility = get_or_404(Facility.objects.select_related("province"), public_id=text)
    if (
        allowed["network"]
        or facility.pk in allowed["facilities"]
        or facility.province.code in allowed["provinces"]
    ):
        return Place(kind="facility", facility=facility)
    raise Http404


def default_place(user: User | AnonymousUser) -> str:
    allowed = allowed_places(user)
    if allowed["network"]:
        return "network"
    if allowed["provinces"]:
        return str(min(allowed["provinces"]))
    facilities = allowed["facilities"]
    if facilities:
        return str(Facility.objects.get(pk=min(facilities)).public_id)
    raise Http404
