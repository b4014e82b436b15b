"""The portfolio's figures, from the records: totals by donor, year, province and priority
area, and the grant share of official development assistance; the kits' use and the idle
ones."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from caunoi.consults.models import Consultation
from caunoi.network.access import CLINICAL_ROLES
from caunoi.network.models import Membership
from caunoi.programmes.models import (
    FlowType,
    Kit,
    KitKind,
    KitStatus,
    Programme,
    Transaction,
    TransactionKind,
)
from caunoi.video.models import VideoJoin

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Line:
    key: str
    label: str
    committed: Decimal
    disbursed: Decimal


@dataclass(frozen=True)
class Portfolio:
    programmes: int
    committed: Decimal
    disbursed: Decimal
    grant_committed: Decimal
    by_donor: list[Line]
    by_year: list[Line]
    by_province: list[Line]
    by_priority: list[Line]

    @property
    def grant_share(self) -> Decimal | None:
        """The share of committed ODA that is grants, in percent (one decimal)."""
        return grant_share(self.committed, self.grant_committed)


def _lines(totals: dict[tuple[str, str], list[Decimal]]) -> list[Line]:
    return sorted(
        (
            Line(key, label, c.quantize(CENT), d.quantize(CENT))
            for (key, label), (c, d) in totals.items()
        ),
        key=lambda line: (-line.committed, line.label),
    )


def portfolio(programmes: QuerySet[Programme]) -> Portfolio:
    """The figures of these programmes, in USD at each transaction's date. **Decision:** a
    programme's money is shared equally among its provinces (and among its priority areas) for
    the totals by province (priority): the records say which programme, not where each dong
    went; each total is then a share, and they add up to the whole."""
    ids = list(programmes.values_list("pk", flat=True))
    provinces: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for pid, code, name in Programme.provinces.through.objects.filter(
        programme_id__in=ids
    ).values_list("programme_id", "province__code", "province__name"):
        provinces[pid].append((str(code), name))
    priorities: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for p in Programme.objects.filter(pk__in=ids).prefetch_related("priority_areas"):
        priorities[p.pk] = [(a.code, a.name) for a in p.priority_areas.all()]
    donor: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    year: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    province: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    priority: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    committed = disbursed = grants = Decimal(0)
    for t in Transaction.objects.filter(programme_id__in=ids).select_related("provider"):
        column = 0 if t.kind == TransactionKind.COMMITMENT else 1
        usd = t.amount_usd
        if column == 0:
            committed += usd
            if t.flow_type == FlowType.GRANT:
                grants += usd
        else:
            disbursed += usd
        donor[(t.provider.short_name, t.provider.name)][column] += usd
        year[(str(t.on.year), str(t.on.year))][column] += usd
        for share_of, bucket in ((provinces, province), (priorities, priority)):
            places = share_of.get(t.programme_id) or [("none", "—")]
            for key in places:
                bucket[key][column] += usd / len(places)
    return Portfolio(
        programmes=len(ids),
        committed=committed.quantize(CENT),
        disbursed=disbursed.quantize(CENT),
        grant_committed=grants.quantize(CENT),
        by_donor=_lines(donor),
        by_year=sorted(_lines(year), key=lambda line: line.key),
        by_province=_lines(province),
        by_priority=_lines(priority),
    )


@dataclass(frozen=True)
class KitUse:
    """A kit's use, from the platform: what its facility did with it."""

    kit: Kit
    video_sessions: int  # video sessions joined by the facility's clinical staff
    consults: int  # consultations the facility sent
    last_used: date | None


def kit_use(kits: QuerySet[Kit], *, since: date, until: date) -> list[KitUse]:
    """Per kit, the use of [since, until] (Vietnam's days). **Decision:** a kit is used by a
    facility, not a person: a video session counts for the kit's facility when one of that
    facility's clinical staff joined it (the station's kit is what they join from), a
    consultation when the facility sent it. A facility with two kits counts its use on each."""
    start = datetime.combine(since, time.min, timezone.get_current_timezone())
    end = datetime.combine(until + timedelta(days=1), time.min, timezone.get_current_timezone())
    rows = list(kits.select_related("facility"))
    facility_ids = {k.facility_id for k in rows}
    staff: dict[int, set[int]] = defaultdict(set)
    for user_id, facility_id in (
        Membership.objects.active()
        .filter(facility_id__in=facility_ids, role__in=sorted(CLINICAL_ROLES))
        .values_list("user_id", "facility_id")
    ):
        staff[facility_id].add(user_id)
    sessions: dict[int, set[int]] = defaultdict(set)
    last: dict[int, date] = {}
    everyone = set().union(*staff.values()) if staff else set()
    for user_id, session_id, joined in VideoJoin.objects.filter(
        user_id__in=everyone, joined_at__gte=start, joined_at__lt=end
    ).values_list("user_id", "session_id", "joined_at"):
        day = timezone.localdate(joined)
        for facility_id, people in staff.items():
            if user_id in people:
                sessions[facility_id].add(session_id)
                last[facility_id] = max(last.get(facility_id, day), day)
    consults: dict[int, int] = defaultdict(int)
    for facility_id, submitted in Consultation.objects.filter(
        requester_facility_id__in=facility_ids,
        submitted_at__gte=start,
        submitted_at__lt=end,
    ).values_list("requester_facility_id", "submitted_at"):
        consults[facility_id] += 1
        day = timezone.localdate(submitted)
        last[facility_id] = max(last.get(facility_id, day), day)
    return [
        KitUse(
            kit=k,
            video_sessions=len(sessions[k.facility_id]),
            consults=consults[k.facility_id],
            last_used=last.get(k.facility_id),
        )
        for k in rows
    ]


def idle_kits(kits: QuerySet[Kit], *, days: int, today: date | None = None) -> list[KitUse]:
    """Kits in use, delivered at least ``days`` days ago, whose facility has neither joined a
    video session nor sent a consultation in the last ``days`` days. Telehealth kits only: a
    server serves the platform, not one facility's staff."""
    today = today or timezone.localdate()
    since = today - timedelta(days=days - 1)
    candidates = kits.filter(
        kind=KitKind.KIT,
        status=KitStatus.IN_USE,
        delivered_on__lte=today - timedelta(days=days),
    )
    return [
        u
        for u in kit_use(candidates, since=since, until=today)
        if u.video_sessions == 0 and u.consults == 0
    ]


def with_money(programmes: QuerySet[Programme]) -> QuerySet[Programme]:
    """Each programme with its USD totals in the same query: ``committed``, ``disbursed`` and
    ``grant_committed`` (for its grant share: ``grant_share``)."""
    commitments = Q(transactions__kind=TransactionKind.COMMITMENT)
    return programmes.annotate(
        committed=Coalesce(Sum("transactions__amount_usd", filter=commitments), Decimal(0)),
        disbursed=Coalesce(
            Sum(
                "transactions__amount_usd",
                filter=Q(transactions__kind=TransactionKind.DISBURSEMENT),
            ),
            Decimal(0),
        ),
        grant_committed=Coalesce(
            Sum(
                "transactions__amount_usd",
                filter=commitments & Q(transactions__flow_type=FlowType.GRANT),
            ),
            Decimal(0),
        ),
    )


def grant_share(committed: Decimal, grants: Decimal) -> Decimal | None:
    """The share of commitments that are grants, in percent (one decimal)."""
    return (grants * 100 / committed).quantize(Decimal("0.1")) if committed else None
