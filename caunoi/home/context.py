from __future__ import annotations

from django.http import HttpRequest

from caunoi.network.access import user_scope


def navigation(request: HttpRequest) -> dict[str, bool]:
    """What the menu offers: patients and consultations for clinical roles only; the on-call
    roster for the hubs' coordinators, who keep it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = user_scope(user)
    return {"nav_clinical": scope.is_clinical, "nav_roster": bool(scope.coordinator_hub_ids)}
