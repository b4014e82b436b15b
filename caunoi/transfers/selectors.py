"""Reads for the transfer pages and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet

from caunoi.accounts.models import User
from caunoi.core.text import fold
from caunoi.transfers.access import visible_transfers
from caunoi.transfers.models import CaseKind, Transfer, TransferStatus
from caunoi.transfers.services import report_months


def transfer_list(
    user: User | AnonymousUser, *, status: str = "", q: str = ""
) -> QuerySet[Transfer]:
    qs = visible_transfers(user).select_related("hub", "receiver", "specialty")
    if status in TransferStatus.values:
        qs = qs.filter(status=status)
    for term in fold(q).split():
        qs = qs.filter(search_text__contains=term)
    return qs.annotate(
        observed=Count("cases", filter=Q(cases__kind=CaseKind.OBSERVED), distinct=True),
        supervised=Count("cases", filter=Q(cases__kind=CaseKind.SUPERVISED), distinct=True),
    ).order_by("-agreed_on", "-id")


@dataclass(frozen=True)
class MonthLine:
    month: date
    performed: int | None
    complications: int | None
    referred_onward: int | None
    overdue: bool
    due: bool  # the report can be filed now (the month has ended)


def report_lines(transfer: Transfer, *, today: date) -> list[MonthLine]:
    """The twelve months after authorisation: what was reported, what is overdue, and what
    can be reported now — the volume curve of the technique at the receiver."""
    if transfer.authorised_on is None:
        return []
    reports = {r.month: r for r in transfer.reports.all()}
    overdue = set(transfer.overdue.values_list("month", flat=True))
    lines = []
    for month in report_months(transfer.authorised_on):
        r = reports.get(month)
        lines.append(
            MonthLine(
                month=month,
                performed=r.performed if r else None,
                complications=r.complications if r else None,
                referred_onward=r.referred_onward if r else None,
                overdue=r is None and month in overdue,
                due=r is None and month < today.replace(day=1),
            )
        )
    return lines
