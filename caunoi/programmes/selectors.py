"""The portfolio's figures, from the records: totals by donor, year, province and priority
area, and the grant share of official development assistance."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from caunoi.programmes.models import FlowType, Programme, Transaction, TransactionKind

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
        if not self.committed:
            return None
        return (self.grant_committed * 100 / self.committed).quantize(Decimal("0.1"))


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
