"""A programme as an IATI activity (IATI Standard 2.03): identifier, reporting and participating
organisations, title and description in Vietnamese and English, status and dates, Vietnam and
the provinces covered, DAC sectors from the priority areas, flow and finance types, the budgets
by year, the transactions (commitments, disbursements) in their currency, and the logframe as
results (goal: impact, outcomes, outputs) with their indicators, baselines and periods with
target and actual — the computed actuals as the logframe page shows them, a suppressed one
without its value. The tests check the file against
the official schema (``iati_schemas/``, vendored)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from xml.etree import ElementTree as ET

from django.utils import timezone

from caunoi.programmes.logframe import flatten, parse_target_period, progress, within
from caunoi.programmes.models import (
    Budget,
    FlowType,
    PartnerKind,
    PartnerRole,
    Programme,
    ProgrammeStatus,
    ResultLevel,
    TransactionKind,
)

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# IATI code lists (2.03): ActivityStatus, OrganisationRole, OrganisationType, TransactionType,
# FlowType; DAC 5-digit sectors for the Ministry's priority areas.
STATUS: dict[str, str] = {
    ProgrammeStatus.PIPELINE: "1",
    ProgrammeStatus.IMPLEMENTATION: "2",
    ProgrammeStatus.FINALISATION: "3",
    ProgrammeStatus.CLOSED: "4",
    ProgrammeStatus.CANCELLED: "5",
}
ROLE: dict[str, str] = {
    PartnerRole.FUNDING: "1",
    PartnerRole.ACCOUNTABLE: "2",
    PartnerRole.EXTENDING: "3",
    PartnerRole.IMPLEMENTING: "4",
}
ORG_TYPE: dict[str, str] = {
    PartnerKind.GOVERNMENT: "10",
    PartnerKind.BILATERAL: "10",
    PartnerKind.NGO: "21",
    PartnerKind.MULTILATERAL: "40",
}
TRANSACTION_TYPE: dict[str, str] = {
    TransactionKind.COMMITMENT: "2",
    TransactionKind.DISBURSEMENT: "3",
}
RESULT_TYPE: dict[str, str] = {
    ResultLevel.OUTPUT: "1",
    ResultLevel.OUTCOME: "2",
    ResultLevel.GOAL: "3",  # impact
}
BUDGET_TYPE: dict[str, str] = {Budget.Kind.ORIGINAL: "1", Budget.Kind.REVISED: "2"}
FLOW: dict[str, str] = {FlowType.GRANT: "10", FlowType.CONCESSIONAL_LOAN: "10", FlowType.LOAN: "20"}
SECTOR = {
    "grassroots-health": "12220",  # basic health care
    "medical-training": "12281",  # health personnel development
    "disease-control": "12250",  # infectious disease control
    "service-quality": "12191",  # medical services
    "infrastructure": "12230",  # basic health infrastructure
    "digital-transformation": "12110",  # health policy and administrative management
}


def _narratives(parent: ET.Element, vi: str, en: str = "") -> None:
    ET.SubElement(parent, "narrative").text = vi
    if en:
        ET.SubElement(parent, "narrative", {XML_LANG: "en"}).text = en


def identifier(p: Programme) -> str:
    """The programme's IATI identifier, or one made from its funder's organisation identifier
    (or the platform's prefix) and its code."""
    if p.iati_identifier:
        return p.iati_identifier
    funder = p.partners.filter(role=PartnerRole.FUNDING).exclude(partner__iati_ref="").first()
    prefix = funder.partner.iati_ref if funder is not None else "VN-CAUNOI"
    return f"{prefix}-{p.code}"


def _percentages(n: int) -> list[str]:
    """n shares that add up to exactly 100 (two decimals)."""
    base = round(100 / n, 2)
    shares = [base] * n
    shares[-1] = round(100 - base * (n - 1), 2)
    return [f"{s:g}" for s in shares]


def activity(p: Programme, *, now: datetime | None = None) -> ET.Element:
    now = now or timezone.now()
    partners = list(p.partners.select_related("partner").order_by("role", "id"))
    reporting = next(
        (r.partner for r in partners if r.role == PartnerRole.ACCOUNTABLE),
        next(r.partner for r in partners if r.role == PartnerRole.FUNDING),
    )
    transactions = list(p.transactions.select_related("provider").order_by("on", "id"))
    a = ET.Element(
        "iati-activity",
        {
            "last-updated-datetime": p.updated_at.replace(microsecond=0).isoformat(),
            XML_LANG: "vi",
            "default-currency": transactions[0].currency if transactions else "USD",
        },
    )
    ET.SubElement(a, "iati-identifier").text = identifier(p)
    org = ET.SubElement(
        a,
        "reporting-org",
        {"ref": reporting.iati_ref or "VN-CAUNOI", "type": ORG_TYPE[reporting.kind]},
    )
    _narratives(org, reporting.name)
    _narratives(ET.SubElement(a, "title"), p.title_vi, p.title_en)
    # The schema asks for a description: the programme's, or its title.
    _narratives(ET.SubElement(a, "description", {"type": "1"}), p.description or p.title_vi)
    for r in partners:
        attrs = {"role": ROLE[r.role], "type": ORG_TYPE[r.partner.kind]}
        if r.partner.iati_ref:
            attrs["ref"] = r.partner.iati_ref
        _narratives(ET.SubElement(a, "participating-org", attrs), r.partner.name)
    ET.SubElement(a, "activity-status", {"code": STATUS[p.status]})
    ET.SubElement(a, "activity-date", {"type": "1", "iso-date": p.starts_on.isoformat()})
    ET.SubElement(a, "activity-date", {"type": "3", "iso-date": p.ends_on.isoformat()})
    ET.SubElement(a, "recipient-country", {"code": "VN", "percentage": "100"})
    for province in p.provinces.order_by("code"):
        location = ET.SubElement(a, "location", {"ref": f"VN-{province.code:02d}"})
        _narratives(ET.SubElement(location, "name"), province.name)
    areas = [a_.code for a_ in p.priority_areas.order_by("position")]
    for code, share in zip(areas, _percentages(len(areas)) if areas else [], strict=False):
        ET.SubElement(
            a, "sector", {"vocabulary": "1", "code": SECTOR.get(code, "12110"), "percentage": share}
        )
    if transactions:
        ET.SubElement(a, "default-flow-type", {"code": FLOW[transactions[0].flow_type]})
        ET.SubElement(a, "default-finance-type", {"code": transactions[0].finance_type})
    for b in p.budgets.order_by("year", "kind"):
        x = ET.SubElement(a, "budget", {"type": BUDGET_TYPE[b.kind], "status": "1"})
        # The budget's year within the programme's dates (IATI: a period of a year at most).
        start = max(p.starts_on, date(b.year, 1, 1))
        end = min(p.ends_on, date(b.year, 12, 31))
        ET.SubElement(x, "period-start", {"iso-date": start.isoformat()})
        ET.SubElement(x, "period-end", {"iso-date": end.isoformat()})
        ET.SubElement(
            x, "value", {"currency": b.currency, "value-date": b.value_date.isoformat()}
        ).text = f"{b.amount:.2f}"
    for t in transactions:
        x = ET.SubElement(a, "transaction")
        ET.SubElement(x, "transaction-type", {"code": TRANSACTION_TYPE[t.kind]})
        ET.SubElement(x, "transaction-date", {"iso-date": t.on.isoformat()})
        ET.SubElement(
            x, "value", {"currency": t.currency, "value-date": t.on.isoformat()}
        ).text = f"{t.amount:.2f}"
        if t.component or t.reason:
            _narratives(
                ET.SubElement(x, "description"), " · ".join(v for v in (t.component, t.reason) if v)
            )
        provider_attrs = {"type": ORG_TYPE[t.provider.kind]}
        if t.provider.iati_ref:
            provider_attrs["ref"] = t.provider.iati_ref
        _narratives(ET.SubElement(x, "provider-org", provider_attrs), t.provider.name)
        ET.SubElement(x, "flow-type", {"code": FLOW[t.flow_type]})
        ET.SubElement(x, "finance-type", {"code": t.finance_type})
    _results(a, p)
    return a


def _results(a: ET.Element, p: Programme) -> None:
    """The logframe's results that have indicators (the schema asks for one at least)."""
    for node in flatten(progress(p)):
        if not node.indicators:
            continue
        r = node.result
        x = ET.SubElement(a, "result", {"type": RESULT_TYPE[r.level]})
        _narratives(ET.SubElement(x, "title"), f"{r.code} {r.title_vi}", r.title_en)
        for ip in node.indicators:
            i = ip.indicator
            attrs = {"measure": "2" if ip.unit == "percent" else "1"}
            attrs["ascending"] = "1" if i.ascending else "0"
            y = ET.SubElement(x, "indicator", attrs)
            _narratives(ET.SubElement(y, "title"), f"{i.code} {i.title_vi}", i.title_en)
            if ip.bound is not None:
                _narratives(
                    ET.SubElement(y, "description"),
                    ip.bound.definition_vi,
                    ip.bound.definition_en,
                )
                ET.SubElement(y, "reference", {"vocabulary": "99", "code": ip.bound.code})
            if i.baseline is not None and i.baseline_year is not None:
                ET.SubElement(
                    y, "baseline", {"year": str(i.baseline_year), "value": f"{i.baseline:g}"}
                )
            for row in ip.periods:
                cut = within(parse_target_period(row.period), p)
                if cut is None:
                    continue
                z = ET.SubElement(y, "period")
                ET.SubElement(z, "period-start", {"iso-date": cut.start.isoformat()})
                ET.SubElement(
                    z, "period-end", {"iso-date": (cut.end - timedelta(days=1)).isoformat()}
                )
                if row.target is not None:
                    ET.SubElement(z, "target", {"value": f"{row.target:g}"})
                if row.suppressed:
                    actual = ET.SubElement(z, "actual")
                    _narratives(
                        ET.SubElement(actual, "comment"),
                        "Dưới 5 người: không công bố.",
                        "Fewer than 5 people: not published.",
                    )
                elif row.actual is not None:
                    ET.SubElement(z, "actual", {"value": f"{row.actual:g}"})


def activities_xml(programmes: Iterable[Programme], *, now: datetime | None = None) -> bytes:
    now = now or timezone.now()
    root = ET.Element(
        "iati-activities",
        {"version": "2.03", "generated-datetime": now.replace(microsecond=0).isoformat()},
    )
    for p in programmes:
        root.append(activity(p, now=now))
    ET.indent(root)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
