"""What the M&E layer needs from referrals: counts and rates over a period, for some facilities
(the referring side) or the whole network. Computed in the database, a fixed handful of queries."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q

from caunoi.consults.models import Consultation
from caunoi.consults.models import Status as ConsultStatus
from caunoi.referrals.models import Referral, ReferralStatus


@dataclass(frozen=True)
class ReferralMetrics:
    referrals: int
    decided: int
    accepted: int
    acceptance_rate: float | None
    arrived: int
    median_hours_to_arrival: float | None
    discharged: int
    counter_referred: int
    counter_referral_rate: float | None
    median_days_to_counter_referral: float | None
    consults_closed: int
    consults_resolved_locally: int
    resolved_locally_rate: float | None


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def referral_metrics(
    *, start: datetime, end: datetime, facility_ids: Iterable[int] | None = None
) -> ReferralMetrics:
    refs = Referral.objects.filter(sent_at__gte=start, sent_at__lt=end).exclude(
        status=ReferralStatus.CANCELLED
    )
    consults = Consultation.objects.filter(
        closed_at__gte=start, closed_at__lt=end, status=ConsultStatus.CLOSED
    )
    if facility_ids is not None:
        ids = list(facility_ids)
        refs = refs.filter(from_facility_id__in=ids)
        consults = consults.filter(requester_facility_id__in=ids)
    counts = refs.aggregate(
        total=Count("id"),
        decided=Count("id", filter=Q(decided_at__isnull=False)),
        declined=Count("id", filter=Q(status=ReferralStatus.DECLINED)),
        arrived=Count("id", filter=Q(arrived_at__isnull=False)),
        discharged=Count("id", filter=Q(discharged_at__isnull=False)),
        counter=Count("id", filter=Q(counter_referred_at__isnull=False)),
    )
    accepted = counts["decided"] - counts["declined"]
    arrivals = [
        (arrived - departed).total_seconds() / 3600
        for departed, arrived in refs.filter(arrived_at__isnull=False).values_list(
            "departed_at", "arrived_at"
        )
        if arrived is not None
    ]
    counters = [
        (sent - discharged).total_seconds() / 86400
        for discharged, sent in refs.filter(counter_referred_at__isnull=False).values_list(
            "discharged_at", "counter_referred_at"
        )
        if discharged is not None and sent is not None
    ]
    closed = consults.count()
    # Resolved locally: closed without a referral having been made from it.
    local = consults.exclude(referrals__isnull=False).exclude(recommended_outcome="refer").count()
    return ReferralMetrics(
        referrals=counts["total"],
        decided=counts["decided"],
        accepted=accepted,
        acceptance_rate=_rate(accepted, counts["decided"]),
        arrived=counts["arrived"],
        median_hours_to_arrival=round(statistics.median(arrivals), 1) if arrivals else None,
        discharged=counts["discharged"],
        counter_referred=counts["counter"],
        counter_referral_rate=_rate(counts["counter"], counts["discharged"]),
        median_days_to_counter_referral=round(statistics.median(counters), 1) if counters else None,
        consults_closed=closed,
        consults_resolved_locally=local,
        resolved_locally_rate=_rate(local, closed),
    )
