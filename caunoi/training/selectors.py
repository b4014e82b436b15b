"""Reads for the training pages and the API: the catalogue with its filters, a learner's
CME ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.training.access import learner_memberships, visible_courses
from caunoi.training.models import (
    ActivityType,
    CmeCredit,
    CmeProfile,
    Course,
    CourseStatus,
    CreditSource,
    EnrolmentStatus,
)
from caunoi.training.rules import CmeStatus, cme_status, years_before

REQUIRED_TIET = Decimal(120)


def course_catalogue(
    user: User | AnonymousUser,
    *,
    q: str = "",
    specialty: str = "",
    format: str = "",
    for_me: bool = False,
    upcoming: bool = True,
) -> QuerySet[Course]:
    """Published courses, newest first within the filters: a search of the title (diacritics
    ignored), a specialty code, a format, "for my profession", courses not yet over."""
    qs = visible_courses(user).filter(status=CourseStatus.PUBLISHED)
    if q:
        qs = qs.search(q)  # type: ignore[attr-defined]
    if specialty:
        qs = qs.filter(specialty__code=specialty)
    if format:
        qs = qs.filter(format=format)
    if upcoming:
        qs = qs.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=timezone.localdate()))
    if for_me:
        professions = sorted({m.profession for m in learner_memberships(user)})
        provinces = sorted(
            {m.facility.province_id for m in learner_memberships(user) if m.facility}
        )
        fits_profession = Q(audience_professions="")
        for p in professions:
            fits_profession |= Q(audience_professions__contains=f",{p},")
        qs = qs.filter(fits_profession).filter(
            Q(audience_provinces__isnull=True) | Q(audience_provinces__in=provinces)
        )
    return (
        qs.select_related("centre__facility", "specialty")
        .annotate(
            taken=Count(
                "enrolments",
                filter=Q(
                    enrolments__status__in=[EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED]
                ),
                distinct=True,
            )
        )
        .order_by("starts_on", "id")
        .distinct()
    )


@dataclass(frozen=True)
class LedgerLine:
    activity_type: str
    label: str
    tiet: Decimal


@dataclass(frozen=True)
class Ledger:
    status: CmeStatus
    since: date
    by_activity: list[LedgerLine]
    credits: list[CmeCredit]
    pending: list[CmeCredit]  # self-declared, not yet verified: shown, not counted

    @property
    def progress_percent(self) -> int:
        required = self.status.required or REQUIRED_TIET
        return min(100, int(self.status.window_total * 100 / required))


def ledger_since(user: User) -> date:
    profile = CmeProfile.objects.filter(user=user).first()
    if profile is not None:
        return profile.licence_issued_on
    return timezone.localdate(user.date_joined)


def cme_ledger(user: User, *, today: date | None = None) -> Ledger:
    """The learner's ledger: the rolling five-year window (``rules.cme_status``), its tiết by
    activity, the credits, and the self-declared ones awaiting verification."""
    today = today or timezone.localdate()
    since = ledger_since(user)
    rows = list(CmeCredit.objects.filter(user=user).select_related("course"))
    counted = [c for c in rows if c.counts]
    status = cme_status(
        [(c.earned_on, c.tiet) for c in counted],
        today=today,
        since=since,
        required=REQUIRED_TIET,
    )
    start = years_before(today, 5)
    window = (
        CmeCredit.objects.filter(user=user, earned_on__gt=start, earned_on__lte=today)
        .filter(Q(source=CreditSource.PLATFORM) | Q(verified_at__isnull=False))
        .values("activity_type")
        .annotate(total=Sum("tiet"))
    )
    totals = {r["activity_type"]: r["total"] for r in window}
    lines = [
        LedgerLine(value, str(label), totals.get(value) or Decimal(0))
        for value, label in ActivityType.choices
    ]
    return Ledger(
        status=status,
        since=since,
        by_activity=lines,
        credits=counted,
        pending=[c for c in rows if not c.counts],
    )
