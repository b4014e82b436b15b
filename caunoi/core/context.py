from __future__ import annotations

from django.http import HttpRequest

from caunoi.network.access import user_scope


def navigation(request: HttpRequest) -> dict[str, bool]:
    """What the menu offers: patients and consultations for clinical roles only."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_clinical": user_scope(user).is_clinical}
