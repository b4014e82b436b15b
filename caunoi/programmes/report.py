"""The donor report of a programme for a period, as a PDF in the reader's language (Vietnamese,
or English for partners): the managers' narrative, the logframe table (target, actual and
light for each period of the report), the money (the period's transactions, the year's
budgets, the totals to date) and the kits (by status, their use in the period, the idle ones);
and every table of the programme's page as one XLSX workbook, one sheet a table.

The figures are the logframe page's (``logframe.progress``, one snapshot) and the money page's;
a suppressed actual is printed "•" in the PDF and "<5" in the workbook, as everywhere. In the
workbook every figure is a number with its unit's format (a percent stored as its fraction)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from caunoi.core.pdf import VietnameseDocument, pdf_table
from caunoi.monitoring.exports import SUPPRESSED, number_format
from caunoi.monitoring.figures import Figure, number
from caunoi.monitoring.periods import Period, period_text
from caunoi.monitoring.report import ReportDocument
from caunoi.programmes.logframe import Progress, flatten, parse_target_period, progress
from caunoi.programmes.models import KitStatus, Narrative, Programme, TransactionKind
from caunoi.programmes.selectors import Portfolio, idle_kits, kit_use

# A kit whose facility used it for none of this many days is listed as idle.
IDLE_DAYS = 60


@dataclass(frozen=True)
class Sheet:
    """A table: its title, its column headings and its rows (text, or numbers with a unit)."""

    key: str
    title: str
    headings: list[str]
    rows: list[list[object]]
    units: list[str]  # per column: "" (text), "count", "percent", "money", "date"


def _overlaps(row: Progress, period: Period) -> bool:
    own = parse_target_period(row.period)
    return own.start < period.end and period.start < own.end


def logframe_sheet(p: Programme, period: Period | None = None) -> Sheet:
    rows: list[list[object]] = []
    for node in flatten(progress(p)):
        r = node.result
        rows.append(
            [f"{r.get_level_display().capitalize()} {r.code}: {r.title}", "", "", "", "", "", ""]
        )
        for ip in node.indicators:
            i = ip.indicator
            periods = [x for x in ip.periods if period is None or _overlaps(x, period)]
            source = ip.bound.name if ip.bound is not None else _("entered, with evidence")
            label = f"{i.code} {i.title}"
            baseline = Figure(None if i.baseline is None else float(i.baseline), ip.unit)
            if not periods:
                rows.append([label, source, baseline, "—", "", "", ""])
            for x in periods:
                rows.append(
                    [
                        label,
                        source,
                        baseline,
                        x.text,
                        Figure(None if x.target is None else float(x.target), x.unit),
                        Figure(x.actual, x.unit, x.suppressed),
                        x.state_text,
                    ]
                )
                label = source = ""
    return Sheet(
        "logframe",
        _("Logframe"),
        [
            _("Result / indicator"),
            _("Actuals"),
            _("Baseline"),
            _("Period"),
            _("Target"),
            _("Actual"),
            _("Progress"),
        ],
        rows,
        [""] * 7,
    )


def money_sheet(p: Programme, period: Period | None = None) -> Sheet:
    transactions = p.transactions.select_related("provider").order_by("on", "id")
    if period is not None:
        transactions = transactions.filter(on__gte=period.start, on__lt=period.end)
    return Sheet(
        "money",
        _("Money"),
        [_("Date"), _("Kind"), _("Provided by"), _("Amount"), _("Currency"), "VND", "USD"],
        [
            [
                t.on,
                f"{t.get_kind_display()} · {t.get_flow_type_display()}"
                + (f" · {t.component}" if t.component else ""),
                t.provider.short_name,
                t.amount,
                t.currency,
                t.amount_vnd,
                t.amount_usd,
            ]
            for t in transactions
        ],
        ["date", "", "", "money", "", "count", "money"],
    )


def budget_sheet(p: Programme, period: Period | None = None) -> Sheet:
    budgets = p.budgets.order_by("year", "kind")
    if period is not None:
        last = period.end - timedelta(days=1)
        budgets = budgets.filter(year__gte=period.start.year, year__lte=last.year)
    return Sheet(
        "budgets",
        _("Budgets"),
        [_("Year"), _("Kind"), _("Amount"), _("Currency"), "VND", "USD"],
        [
            [b.year, b.get_kind_display(), b.amount, b.currency, b.amount_vnd, b.amount_usd]
            for b in budgets
        ],
        ["", "", "money", "", "count", "money"],
    )


def kit_sheet(p: Programme, period: Period | None = None) -> Sheet:
    today = timezone.localdate()
    since = period.start if period else p.starts_on
    until = min(period.end - timedelta(days=1), today) if period else today
    return Sheet(
        "kits",
        _("Kits and equipment"),
        [
            _("Serial number"),
            _("Type"),
            _("Facility"),
            _("Delivered on"),
            _("Status"),
            _("Video sessions"),
            _("Consultations sent"),
            _("Last used"),
        ],
        [
            [
                u.kit.serial,
                u.kit.get_kind_display(),
                u.kit.facility.name,
                u.kit.delivered_on,
                u.kit.get_status_display(),
                u.video_sessions,
                u.consults,
                u.last_used,
            ]
            for u in kit_use(p.kits.all(), since=since, until=max(since, until))
        ],
        ["", "", "", "date", "", "count", "count", "date"],
    )


def portfolio_sheets(figures: Portfolio) -> list[Sheet]:
    def lines(key: str, title: str, heading: str, items: Sequence[object]) -> Sheet:
        return Sheet(
            key,
            title,
            [heading, _("Committed (USD)"), _("Disbursed (USD)")],
            [[x.label, x.committed, x.disbursed] for x in items],  # type: ignore[attr-defined]
            ["", "money", "money"],
        )

    return [
        lines("donor", _("By donor"), _("Donor"), figures.by_donor),
        lines("year", _("By year"), _("Year"), figures.by_year),
        lines("province", _("By province"), _("Province"), figures.by_province),
        lines("priority", _("By priority area"), _("Priority area"), figures.by_priority),
    ]


def workbook(sheets: Sequence[Sheet]) -> bytes:
    """The tables as an XLSX workbook for people: numbers stored as numbers with a format
    that shows them, dates as dates shown dd/mm/yyyy, a suppressed figure "<5"."""
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for table in sheets:
        sheet = book.create_sheet(table.key[:31])
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True)
        sheet.append(table.headings)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_xlsx_value(v) for v in row])
            line = sheet.max_row
            for n, (unit, value) in enumerate(zip(table.units, row, strict=True), 1):
                if isinstance(value, Figure):
                    if value.value is not None and not value.suppressed:
                        sheet.cell(line, n).number_format = number_format(value.unit)
                elif unit == "date":
                    sheet.cell(line, n).number_format = "dd/mm/yyyy"
                elif unit == "money":
                    sheet.cell(line, n).number_format = "#,##0.00"
                elif unit:
                    sheet.cell(line, n).number_format = number_format(unit)
        for n, heading in enumerate(table.headings, 1):
            sheet.column_dimensions[get_column_letter(n)].width = max(12, len(heading) + 2)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_value(value: object) -> object:
    """A figure as the spreadsheet stores it: a number (a percent as its fraction), "<5" when
    suppressed, empty when unknown; anything else as it is."""
    if not isinstance(value, Figure):
        return value
    if value.suppressed:
        return SUPPRESSED
    if value.value is None:
        return None
    return value.value / 100 if value.unit == "percent" else value.value


def _text(value: object, unit: str) -> str:
    if isinstance(value, Figure):
        return value.text
    if value is None:
        return "—"
    if unit in ("count", "money") and isinstance(value, Decimal | int | float):
        return number(float(value), 0 if float(value).is_integer() else 2)
    if isinstance(value, date):
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def _pdf_sheet(pdf: VietnameseDocument, table: Sheet, widths: Sequence[float]) -> None:
    if pdf.will_page_break(26):
        pdf.add_page()
    pdf.text_block(table.title, 10, bold=True)
    if not table.rows:
        pdf.text_block(_("Nothing recorded in this period."), 9)
        pdf.ln(2)
        return
    pdf_table(
        pdf,
        table.headings,
        [[_text(v, unit) for v, unit in zip(row, table.units, strict=True)] for row in table.rows],
        widths=widths,
        align=["RIGHT" if u in ("count", "money") else "LEFT" for u in table.units],
        size=8,
    )
    pdf.ln(2)


def report_pdf(p: Programme, period: Period) -> bytes:
    """The donor report of ``p`` for ``period``, in the active language."""
    pdf = ReportDocument(
        _("Programme report %(code)s, %(period)s") % {"code": p.code, "period": period_text(period)}
    )
    funders = ", ".join(
        r.partner.name for r in p.partners.select_related("partner").filter(role="funding")
    )
    pdf.text_block(_("PROGRAMME REPORT"), 14, bold=True, align="C", height=7)
    pdf.text_block(p.title, 11, bold=True, align="C")
    pdf.text_block(
        _("%(code)s · reporting period: %(period)s · prepared on %(date)s")
        % {
            "code": p.code,
            "period": period_text(period),
            "date": date_format(timezone.localdate(), "SHORT_DATE_FORMAT"),
        },
        9,
        align="C",
    )
    pdf.ln(3)
    pdf.field(_("Funded by"), funders)
    pdf.field(
        _("Duration"),
        f"{date_format(p.starts_on, 'SHORT_DATE_FORMAT')}–{date_format(p.ends_on, 'SHORT_DATE_FORMAT')}",
    )
    pdf.field(_("Provinces"), ", ".join(v.name for v in p.provinces.all()) or "—")
    pdf.heading(_("I. NARRATIVE"))
    narrative = Narrative.objects.filter(programme=p, period=period.label).first()
    if narrative is None:
        pdf.text_block(_("The managers have written no narrative for this period."), 9)
    else:
        for title, body in (
            (_("Progress"), narrative.progress),
            (_("Difficulties"), narrative.difficulties),
            (_("Next steps"), narrative.next_steps),
        ):
            if body:
                pdf.text_block(title, 10, bold=True)
                pdf.text_block(body, 9)
                pdf.ln(1)
    pdf.heading(_("II. LOGFRAME"))
    _pdf_sheet(pdf, logframe_sheet(p, period), [3.4, 2, 1.2, 1.3, 1.2, 1.2, 1.4])
    pdf.text_block(
        _(
            "Actuals computed by the platform are read from the activity recorded on Cầu Nối over the programme's provinces and facilities; a figure shown as • counts fewer than 5 people and is not published."
        ),
        8,
    )
    pdf.heading(_("III. MONEY"))
    committed = p.transactions.filter(kind=TransactionKind.COMMITMENT, on__lt=period.end).aggregate(
        s=Sum("amount_usd")
    )["s"] or Decimal(0)
    disbursed = p.transactions.filter(
        kind=TransactionKind.DISBURSEMENT, on__lt=period.end
    ).aggregate(s=Sum("amount_usd"))["s"] or Decimal(0)
    pdf.field(_("Committed to the end of the period"), f"{number(float(committed))} USD")
    pdf.field(_("Disbursed to the end of the period"), f"{number(float(disbursed))} USD")
    _pdf_sheet(pdf, budget_sheet(p, period), [1, 1.2, 1.6, 1, 2, 1.6])
    _pdf_sheet(pdf, money_sheet(p, period), [1.2, 3, 1.2, 1.6, 0.9, 2, 1.6])
    pdf.heading(_("IV. KITS AND EQUIPMENT"))
    counts = {value: 0 for value, _label in KitStatus.choices}
    for status in p.kits.values_list("status", flat=True):
        counts[status] += 1
    pdf.text_block(" · ".join(f"{label}: {counts[value]}" for value, label in KitStatus.choices), 9)
    idle = idle_kits(p.kits.all(), days=IDLE_DAYS)
    pdf.text_block(
        _("Idle for %(days)s days: %(n)s kits") % {"days": IDLE_DAYS, "n": len(idle)}
        + (
            ": " + ", ".join(f"{u.kit.serial} ({u.kit.facility.name})" for u in idle)
            if idle
            else ""
        ),
        9,
    )
    pdf.ln(2)
    _pdf_sheet(pdf, kit_sheet(p, period), [1.6, 1.6, 2.6, 1.2, 1, 1, 1, 1.2])
    return pdf.render()
