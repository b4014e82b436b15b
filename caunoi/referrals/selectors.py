"""Reads of referrals for the API's lists."""

from __future__ import annotations

from typing import Literal

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from caunoi.accounts.models import User
from caunoi.network.access import user_scope
from caunoi.referrals.access import visible_referrals
from caunoi.referrals.models import Referral


def referral_box(user: User | AnonymousUser, box: Literal["in", "out"]) -> QuerySet[Referral]:
    """``in``: referrals to the user's facilities; ``out``: referrals they sent; newest first."""
    scope = user_scope(user)
    side = "to_facility_id__in" if box == "in" else "from_facility_id__in"
    return (
        visible_referrals(user)
        .filter(**{side: scope.facility_ids})
        .select_related("patient", "from_facility", "to_facility", "consultation")
        .prefetch_related("diagnoses")
        .order_by("-sent_at", "-id")
    )
