"""Reads for the training pages and the API: the catalogue with its filters, a learner's
CME ledger, the staff summaries, a session's tests and evaluations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Avg, Count, Max, Q, QuerySet
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.network.access import CLINICAL_ROLES
from caunoi.network.models import Facility, Membership
from caunoi.training.access import learner_memberships, staff_memberships, visible_courses
from caunoi.training.models import (
    HOLDING_PLACE,
    ActivityType,
    AssessmentAttempt,
    AssessmentKind,
    CmeCredit,
    CmeProfile,
    CmeStanding,
    Course,
    CourseStatus,
    CreditSource,
    TrainingSession,
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
        fits_level = Q(audience_levels="")
        for level in sorted(
            {m.facility.level for m in learner_memberships(user) if m.facility and m.facility.level}
        ):
            fits_level |= Q(audience_levels__contains=f",{level},")
        qs = qs.filter(fits_profession, fits_level).filter(
            Q(audience_provinces__isnull=True) | Q(audience_provinces__in=provinces)
        )
    return (
        qs.select_related("centre__facility", "specialty")
        .annotate(
            taken=Count(
                "enrolments",
                filter=Q(enrolments__status__in=HOLDING_PLACE),
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
    totals: dict[str, Decimal] = {}
    for c in counted:
        if start < c.earned_on <= today:
            totals[c.activity_type] = totals.get(c.activity_type, Decimal(0)) + c.tiet
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


@dataclass(frozen=True)
class ComplianceRow:
    """One facility's staff against the 120-tiết rule: counts, never names."""

    facility: Facility
    staff: int
    on_track: int
    warning: int
    short: int

    @property
    def share_on_track(self) -> int:
        return self.on_track * 100 // self.staff if self.staff else 0  # 99.8 % is not 100 %


# People are named by a list of user ids, or — for thousands — by a query of them (one
# subquery instead of thousands of parameters).
Users = QuerySet[Any] | list[int]


def _since(user_ids: Users) -> dict[int, date]:
    """When each person's obligation started: their licence date, else when the platform first
    knew them."""
    zone = timezone.get_current_timezone()
    since = {
        pk: joined.astimezone(zone).date()
        for pk, joined in User.objects.filter(pk__in=user_ids).values_list("pk", "date_joined")
    }
    since.update(
        CmeProfile.objects.filter(user_id__in=user_ids).values_list("user_id", "licence_issued_on")
    )
    return since


def _counted(user_ids: Users) -> QuerySet[CmeCredit]:
    return CmeCredit.objects.filter(user_id__in=user_ids).filter(
        Q(source=CreditSource.PLATFORM) | Q(verified_at__isnull=False)
    )


def _credits(user_ids: list[int]) -> dict[int, list[tuple[date, Decimal]]]:
    credits: dict[int, list[tuple[date, Decimal]]] = {pk: [] for pk in user_ids}
    for user_id, on, tiet in (
        _counted(user_ids).values_list("user_id", "earned_on", "tiet").iterator(chunk_size=5000)
    ):
        credits[user_id].append((on, tiet))
    return credits


def cme_statuses(user_ids: list[int], *, today: date) -> dict[int, CmeStatus]:
    """The ledger status of many people at once: one read of their counted credits, one of
    their licence dates."""
    since = _since(user_ids)
    credits = _credits(user_ids)
    return {
        pk: cme_status(credits[pk], today=today, since=since[pk], required=REQUIRED_TIET)
        for pk in user_ids
        if pk in since
    }


@dataclass(frozen=True)
class Standing:
    """Where a person stands on a day, as the summaries count it."""

    deadline: date
    short_now: bool
    warning: bool
    on_track: bool


# Warned this many days before the deadline (``rules.cme_status``'s default).
WARN_DAYS = 365


def standing_on(deadline: date, today: date) -> Standing:
    """The standing on ``today`` of a person whose window, with no new credit, first falls short
    on ``deadline`` (computed on a day no later than ``today``): short from the deadline on,
    warned in the year before it. ``rules.cme_status`` gives the same on every such day."""
    short = today >= deadline
    warning = not short and (deadline - today).days <= WARN_DAYS
    return Standing(deadline, short, warning, not short and not warning)


def cme_standings(user_ids: Users, *, today: date | None = None) -> dict[int, Standing]:
    """The standing of many people at once, from the kept ``CmeStanding`` where it still holds
    (one read of the standings, one count of each person's credits), computed afresh — and
    kept, when ``today`` is today — for the others. The same flags as ``cme_statuses``."""
    today = today or timezone.localdate()
    since = _since(user_ids)
    # What the credits look like now, read before they are: a credit that changes in between
    # leaves a kept standing that no longer matches, recomputed at the next read.
    seen = {
        row["user_id"]: (row["n"], row["changed"])
        for row in _counted(user_ids)
        .order_by()
        .values("user_id")
        .annotate(n=Count("id"), changed=Max("updated_at"))
    }
    kept = {
        row[0]: row[1:]
        for row in CmeStanding.objects.filter(user_id__in=user_ids).values_list(
            "user_id",
            "since",
            "credits",
            "credits_changed_at",
            "computed_on",
            "next_credit_on",
            "deadline",
        )
    }
    out: dict[int, Standing] = {}
    stale: list[int] = []
    for pk, started in since.items():
        k = kept.get(pk)
        if (
            k is not None
            and k[0] == started
            and (k[1], k[2]) == seen.get(pk, (0, None))
            and k[3] <= today
            and (k[4] is None or k[4] > today)
        ):
            out[pk] = standing_on(k[5], today)
        else:
            stale.append(pk)
    if not stale:
        return out
    credits = _credits(stale)
    rows = []
    for pk in stale:
        status = cme_status(credits[pk], today=today, since=since[pk], required=REQUIRED_TIET)
        out[pk] = Standing(status.deadline, status.short_now, status.warning, status.on_track)
        later = [on for on, _tiet in credits[pk] if on > today]
        n, changed = seen.get(pk, (0, None))
        rows.append(
            CmeStanding(
                user_id=pk,
                computed_on=today,
                since=since[pk],
                deadline=status.deadline,
                credits=n,
                credits_changed_at=changed,
                next_credit_on=min(later) if later else None,
            )
        )
    if today == timezone.localdate():
        CmeStanding.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["user"],
            update_fields=[
                "computed_on",
                "since",
                "deadline",
                "credits",
                "credits_changed_at",
                "next_credit_on",
            ],
            batch_size=1000,
        )
    return out


def cme_compliance(facility_ids: set[int], *, today: date | None = None) -> list[ComplianceRow]:
    """Per facility, its clinical staff on track, warned (short within a year) and short now."""
    today = today or timezone.localdate()
    clinical = Membership.objects.active().filter(
        facility_id__in=facility_ids, role__in=sorted(CLINICAL_ROLES)
    )
    members = list(clinical.values_list("facility_id", "user_id").distinct())
    statuses = cme_standings(clinical.values("user_id"), today=today)
    by_facility: dict[int, list[Standing]] = {}
    for facility_id, user_id in members:
        if user_id in statuses:
            by_facility.setdefault(facility_id, []).append(statuses[user_id])
    facilities = Facility.objects.in_bulk(list(by_facility))
    rows = [
        ComplianceRow(
            facility=facilities[fid],
            staff=len(items),
            on_track=sum(1 for s in items if s.on_track),
            warning=sum(1 for s in items if s.warning),
            short=sum(1 for s in items if s.short_now),
        )
        for fid, items in by_facility.items()
    ]
    return sorted(rows, key=lambda r: (-r.short, r.facility.name))


@dataclass(frozen=True)
class StaffStanding:
    """One person of a head's staff against the rule: tiết and standing, never scores."""

    user: User
    facility: Facility
    profession: str
    status: CmeStatus


def staff_standing(head: User, *, today: date | None = None) -> list[StaffStanding]:
    """The clinical staff of the facilities ``head`` heads, shortest first (short now, then
    warned, then by deadline)."""
    today = today or timezone.localdate()
    members = list(staff_memberships(head).order_by("user__full_name", "id"))
    people: dict[int, Membership] = {}
    for m in members:
        people.setdefault(m.user_id, m)
    statuses = cme_statuses(sorted(people), today=today)
    rows = [
        StaffStanding(m.user, m.facility, m.get_profession_display(), statuses[uid])  # type: ignore[arg-type]
        for uid, m in people.items()
        if uid in statuses
    ]
    return sorted(
        rows,
        key=lambda r: (
            not r.status.short_now,
            not r.status.warning,
            r.status.deadline,
            r.user.full_name,
        ),
    )


def declarations_to_check(head: User) -> QuerySet[CmeCredit]:
    """Activities the head's staff declared from elsewhere, not yet checked, oldest first."""
    return (
        CmeCredit.objects.filter(
            source=CreditSource.SELF_DECLARED,
            verified_at__isnull=True,
            declined_at__isnull=True,
            user_id__in=staff_memberships(head).values("user_id"),
        )
        .select_related("user")
        .order_by("created_at", "id")
    )


@dataclass(frozen=True)
class SessionResults:
    """What the organisers read of a session's tests and evaluations: averages and the
    comments, without names."""

    pre_taken: int
    pre_mean: Decimal | None
    post_taken: int
    post_mean: Decimal | None
    evaluations: int
    rating_mean: Decimal | None
    relevant_share: int | None
    comments: list[str]


def session_results(session: TrainingSession) -> SessionResults:
    tests: dict[str, dict[str, Any]] = {
        row["kind"]: dict(row)
        for row in AssessmentAttempt.objects.filter(session=session)
        .values("kind")
        .annotate(n=Count("id"), mean=Avg("score"))
    }
    evaluations = session.evaluations.aggregate(
        n=Count("id"), mean=Avg("rating"), relevant=Count("id", filter=Q(relevant=True))
    )

    def mean(value: object) -> Decimal | None:
        return None if value is None else Decimal(str(value)).quantize(Decimal("0.1"))

    n = evaluations["n"] or 0
    return SessionResults(
        pre_taken=tests.get(AssessmentKind.PRE, {}).get("n", 0),
        pre_mean=mean(tests.get(AssessmentKind.PRE, {}).get("mean")),
        post_taken=tests.get(AssessmentKind.POST, {}).get("n", 0),
        post_mean=mean(tests.get(AssessmentKind.POST, {}).get("mean")),
        evaluations=n,
        rating_mean=mean(evaluations["mean"]),
        relevant_share=(evaluations["relevant"] * 100 // n) if n else None,
        comments=list(
            session.evaluations.exclude(comment="")
            .order_by("-created_at")
            .values_list("comment", flat=True)[:100]
        ),
    )
