"""The dashboards' tables, built from the indicator engine, so that pages, charts and exports
show exactly the same (suppressed) numbers.

A table keeps each figure's value in the indicator's unit (what the API gives) beside how a
person reads it (``figures.Figure``): the page, the PDF and the XLSX show the second, the CSV the
first, and a chart draws the value of its table's first figure column, row by row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from caunoi.consults.models import OPEN_STATUSES, Consultation, Urgency
from caunoi.monitoring.catalogue import BY_CODE, Cell, Indicator, Place
from caunoi.monitoring.engine import cme_as_of, quality_year
from caunoi.monitoring.figures import Figure
from caunoi.monitoring.indicators import compute
from caunoi.monitoring.periods import Period, month_after, period_label
from caunoi.network.models import Profession
from caunoi.patients.models import Sex
from caunoi.places.models import Province
from caunoi.transfers.models import TransferStatus

HEADLINE = [
    "consults_submitted",
    "answered_in_time",
    "response_time_median",
    "resolved_locally",
    "referrals",
    "referral_acceptance",
    "counter_referral_rate",
    "vulnerable_reach",
    "active_facilities",
    "video_sessions",
]
TREND_MONTHS = 12


@dataclass(frozen=True)
class Column:
    title: str
    unit: str = "count"  # an indicator unit: count, percent, minutes, hours, days, ratio


@dataclass
class Row:
    key: str  # what the API calls the cell: a month "2026-09", a province code, a facility id…
    label: str  # what a person reads: "09/2026", the province's name…
    figures: list[Figure]
    link: str = ""  # drill-down
    month: date | None = None  # rows of a trend: the month's first day


@dataclass
class Table:
    key: str
    title: str
    label_title: str  # the heading of the first column (the rows' labels)
    columns: list[Column]
    rows: list[Row]
    chart: str = ""  # "columns" (a trend) or "bars" (a comparison): the first figure column
    indicator: str = ""  # the indicator and breakdown the chart draws, as the API names them
    by: str = ""
    note: str = ""

    @property
    def headings(self) -> list[str]:
        return [self.label_title, *(c.title for c in self.columns)]


def _figure(cell: Cell | None, code: str) -> Figure:
    unit = BY_CODE[code].unit
    if cell is None:
        return Figure(None, unit)
    return Figure(cell.value, unit, cell.suppressed)


@dataclass(frozen=True)
class Headline:
    indicator: Indicator
    cell: Cell
    figure: Figure


def headline(period: Period, place: Place) -> list[Headline]:
    out = []
    for code in HEADLINE:
        cell = compute(BY_CODE[code], period, place).total
        out.append(Headline(BY_CODE[code], cell, _figure(cell, code)))
    return out


def month_label(month: date) -> str:
    """09/2026: months are written mm/yyyy in both languages, as dates are dd/mm/yyyy."""
    return str(date_format(month, "YEAR_MONTH_FORMAT"))


def trend_span(period: Period) -> tuple[date, date]:
    """The twelve months up to the month the period ends in, never past this month: first day
    of the first month, and first day of the month after the last."""
    last = period.end - timedelta(days=1)
    today = timezone.localdate()
    if last > today:
        last = today
    end = month_after(date(last.year, last.month, 1), 1)
    return month_after(end, -TREND_MONTHS), end


def trend(period: Period, place: Place, code: str = "consults_submitted") -> Table:
    """Month by month, every month drawn (a month without activity is a true 0). Each month is
    that month's own total, as the API gives it for ``period=<month>``."""
    start, end = trend_span(period)
    result = compute(BY_CODE[code], Period("year", start, end), place, "month")
    cells = {c.key: c for c in result.cells}
    rows = []
    month = start
    while month < end:
        key = period_label("month", month)
        cell = cells.get(key)
        figure = _figure(cell, code) if cell else Figure(0, BY_CODE[code].unit)
        rows.append(Row(key, month_label(month), [figure], month=month))
        month = month_after(month, 1)
    return Table(
        "trend",
        _("%(indicator)s, month by month") % {"indicator": BY_CODE[code].name},
        _("Month"),
        [Column(BY_CODE[code].name, BY_CODE[code].unit)],
        rows,
        chart="columns",
        indicator=code,
        by="month",
    )


def comparison(period: Period, place: Place, dashboard_url: str) -> Table:
    """By province for the network, by facility for a province: with drill-down links."""
    by = "province" if place.kind == "network" else "facility"
    result = compute(BY_CODE["consults_submitted"], period, place, by)
    in_time = {c.key: c for c in compute(BY_CODE["answered_in_time"], period, place, by).cells}
    names = dict(Province.objects.values_list("code", "name")) if by == "province" else {}
    rows = []
    for c in sorted(result.cells, key=lambda x: (-(x.value or 0), x.label)):
        label = names.get(int(c.key), c.key) if by == "province" and c.key.isdigit() else c.label
        rows.append(
            Row(
                c.key,
                label,
                [
                    _figure(c, "consults_submitted"),
                    _figure(in_time.get(c.key), "answered_in_time"),
                ],
                link=f"{dashboard_url}?place={c.key}&period={period.label}",
            )
        )
    title = _("Consultations by province") if by == "province" else _("Consultations by facility")
    return Table(
        "comparison",
        title,
        _("Province") if by == "province" else _("Facility"),
        [Column(_("Consultations")), Column(_("Answered in time"), "percent")],
        rows,
        chart="bars",
        indicator="consults_submitted",
        by=by,
    )


VULNERABILITY_LABELS = {
    "ethnic_minority": gettext_lazy("ethnic minority"),
    "poor": gettext_lazy("poor household"),
    "near_poor": gettext_lazy("near-poor household"),
    "elderly": gettext_lazy("elderly (60+)"),
    "child_under_6": gettext_lazy("child under 6"),
    "none": gettext_lazy("none of these groups"),
}


def _label(by: str, key: str, label: str) -> str:
    """Readable, translated labels for coded breakdowns."""
    if by == "urgency" and key in Urgency.values:
        return str(Urgency(key).label)
    if by == "sex" and key in Sex.values:
        return str(Sex(key).label)
    if by == "profession" and key in Profession.values:
        return str(Profession(key).label)
    if by == "transfer_status" and key in TransferStatus.values:
        return str(TransferStatus(key).label)
    if by == "vulnerability":
        return str(VULNERABILITY_LABELS.get(key, key))
    if by == "age_band" and key == "?":
        return _("age not known")
    return label


def breakdown(period: Period, place: Place, code: str, by: str, title: str, column: str) -> Table:
    result = compute(BY_CODE[code], period, place, by)
    rows = [Row(c.key, _label(by, c.key, c.label), [_figure(c, code)]) for c in result.cells]
    if by == "specialty":  # the busiest first; the API lists them by code
        rows.sort(key=lambda r: (r.figures[0].suppressed, -(r.figures[0].value or 0), r.label))
    return Table(
        f"{code}-{by}", title, column, [Column(BY_CODE[code].name, BY_CODE[code].unit)], rows
    )


def in_time_by_urgency(period: Period, place: Place) -> Table:
    """The share answered in time, and how many consultations it is a share of."""
    result = compute(BY_CODE["answered_in_time"], period, place, "urgency")
    rows = [
        Row(
            c.key,
            _label("urgency", c.key, c.label),
            [
                _figure(c, "answered_in_time"),
                Figure(c.denominator, "count", c.suppressed),
            ],
        )
        for c in result.cells
    ]
    return Table(
        "answered_in_time-urgency",
        _("Answered in time, by urgency"),
        _("Urgency"),
        [
            Column(_("Answered in time"), "percent"),
            Column(_("Consultations answered or overdue")),
        ],
        rows,
    )


def vulnerable_groups(period: Period, place: Place) -> Table:
    """What an officer needs to see of equity: how many consultations each vulnerable group
    received, and what share of all consultations that is. A patient may belong to several
    groups (a poor H'Mông child counts in three), so the shares add up to more than 100%."""
    result = compute(BY_CODE["consults_submitted"], period, place, "vulnerability")
    total = result.total
    rows = []
    for c in result.cells:
        share: float | None = None
        if not c.suppressed and c.value is not None and total.value:
            share = round(100 * c.value / total.value, 1)
        rows.append(
            Row(
                c.key,
                _label("vulnerability", c.key, c.label),
                [_figure(c, "consults_submitted"), Figure(share, "percent", c.suppressed)],
            )
        )
    return Table(
        "vulnerable_groups",
        _("Consultations by vulnerable group"),
        _("Group"),
        [Column(_("Consultations")), Column(_("Share of all consultations"), "percent")],
        rows,
        note=_(
            "A patient may belong to several groups (a poor ethnic-minority child counts in "
            "three), so the shares add up to more than 100%."
        ),
    )


def specialist_compliance(period: Period, place: Place) -> Table:
    """For a hub: each specialist's consults answered, how many in time, and how fast."""
    answered = compute(BY_CODE["consults_answered"], period, place, "specialist")
    in_time = {
        c.key: c for c in compute(BY_CODE["answered_in_time"], period, place, "specialist").cells
    }
    median = {
        c.key: c
        for c in compute(BY_CODE["response_time_median"], period, place, "specialist").cells
    }
    rows = [
        Row(
            c.key,
            c.label,
            [
                _figure(c, "consults_answered"),
                _figure(in_time.get(c.key), "answered_in_time"),
                _figure(median.get(c.key), "response_time_median"),
            ],
        )
        for c in answered.cells
        if c.key != "none"
    ]
    return Table(
        "specialists",
        _("Deadline compliance per specialist"),
        _("Specialist"),
        [
            Column(_("Answered")),
            Column(_("Answered in time"), "percent"),
            Column(_("Time to first response (median)"), "minutes"),
        ],
        rows,
    )


def queue_health(place: Place) -> Table:
    """For a hub: what is waiting now (counts only)."""
    assert place.facility is not None
    open_ = Consultation.objects.filter(hub=place.facility, status__in=OPEN_STATUSES)
    now = timezone.now()
    counts = [
        ("open", _("Open"), open_.count()),
        (
            "unassigned",
            _("Waiting for a specialist"),
            open_.filter(specialist__isnull=True).count(),
        ),
        (
            "overdue",
            _("Overdue"),
            open_.filter(first_response_at__isnull=True, deadline_at__lt=now).count(),
        ),
    ]
    return Table(
        "queue",
        _("Queue now"),
        _("Consultations"),
        [Column(_("Number"))],
        [Row(key, label, [Figure(n)]) for key, label, n in counts],
    )


TRAINED = ["workers_trained", "facilities_trained", "training_courses"]


def training(period: Period, place: Place) -> Table:
    """Training and continuing education of the place's staff: people and facilities trained and
    courses completed in the period (each a total, as the API gives it), and how many clinical
    staff are on track for 120 tiết in five years, with their share."""
    rows = [
        Row(
            code,
            BY_CODE[code].name,
            [_figure(compute(BY_CODE[code], period, place).total, code), Figure(None, "percent")],
        )
        for code in TRAINED
    ]
    standing = compute(BY_CODE["cme_on_track"], period, place).total
    rows.append(
        Row(
            "cme_on_track",
            BY_CODE["cme_on_track"].name,
            [
                Figure(standing.numerator, "count", standing.suppressed),
                _figure(standing, "cme_on_track"),
            ],
        )
    )
    return Table(
        "training",
        _("Training and continuing education"),
        _("Indicator"),
        [Column(_("Number")), Column(_("Share of clinical staff"), "percent")],
        rows,
        note=_(
            "People are counted at the facility they work in. The standing against 120 tiết in "
            "5 years is of %(date)s. • : fewer than 5 people, not published."
        )
        % {"date": date_format(cme_as_of(period), "SHORT_DATE_FORMAT")},
    )


def capacity(period: Period, place: Place) -> Table:
    """Technique transfer, protocols and quality: the five totals of the period and place
    (each as the API gives it), each in the column of its unit, beside the number it rests on:
    the transfers agreed, the transfers authorised that the median is taken over, the times
    performed, the readings done, the self-assessments averaged."""
    cells = {
        code: compute(BY_CODE[code], period, place).total
        for code in (
            "technique_transfers",
            "transfer_time_to_authorisation",
            "techniques_performed",
            "protocol_read_share",
            "quality_score",
        )
    }

    def row(code: str, number: float | None, days: Figure | None, percent: Figure | None) -> Row:
        return Row(
            code,
            BY_CODE[code].name,
            [
                Figure(number, "count", cells[code].suppressed),
                days or Figure(None, "days"),
                percent or Figure(None, "percent"),
            ],
        )

    median = cells["transfer_time_to_authorisation"]
    read = cells["protocol_read_share"]
    score = cells["quality_score"]
    return Table(
        "capacity",
        _("Technique transfer, protocols and quality"),
        _("Indicator"),
        [
            Column(_("Number")),
            Column(_("Median time"), "days"),
            Column(_("Share or score"), "percent"),
        ],
        [
            row("technique_transfers", cells["technique_transfers"].value, None, None),
            row(
                "transfer_time_to_authorisation",
                median.denominator,
                _figure(median, "transfer_time_to_authorisation"),
                None,
            ),
            row("techniques_performed", cells["techniques_performed"].value, None, None),
            row("protocol_read_share", read.numerator, None, _figure(read, "protocol_read_share")),
            row("quality_score", score.denominator, None, _figure(score, "quality_score")),
        ],
        note=_(
            "Transfers are counted at the receiving facility (a hub's own figures: the transfers "
            "it gives and the protocols it publishes); the median is over the transfers "
            "authorised in the period. Times performed come from the monthly reports of the "
            "months in the period. Protocols: the clinical staff of the facilities each current "
            "version went to who have read it, today; • : fewer than 5 people, not published. "
            "Quality: the submitted self-assessments of %(year)s."
        )
        % {"year": quality_year(period)},
    )


def danger_signs(period: Period, place: Place) -> Table:
    """Consultations sent with danger signs (caunoi/triage): how many, whether those that call
    for an emergency went as one, how many went less urgent with a reason, how fast answered."""
    codes = (
        "danger_sign_consults",
        "danger_sent_emergency",
        "danger_downgraded",
        "danger_response_median",
    )
    cells = {code: compute(BY_CODE[code], period, place).total for code in codes}

    def row(code: str, number: float | None, share: bool = False, time: bool = False) -> Row:
        cell = cells[code]
        return Row(
            code,
            BY_CODE[code].name,
            [
                Figure(number, "count", cell.suppressed),
                _figure(cell, code) if share else Figure(None, "percent"),
                _figure(cell, code) if time else Figure(None, "minutes"),
            ],
        )

    emergency = cells["danger_sent_emergency"]
    lowered = cells["danger_downgraded"]
    return Table(
        "danger_signs",
        _("Danger signs"),
        _("Indicator"),
        [
            Column(_("Consultations")),
            Column(_("Share"), "percent"),
            Column(_("Median time"), "minutes"),
        ],
        [
            row("danger_sign_consults", cells["danger_sign_consults"].value),
            row("danger_sent_emergency", emergency.numerator, share=True),
            row("danger_downgraded", lowered.numerator, share=True),
            row(
                "danger_response_median",
                cells["danger_response_median"].denominator,
                time=True,
            ),
        ],
        note=_(
            "Signs found by the danger-sign rules when the consultation was sent. The share "
            "sent as emergency is over the consultations whose signs call for an emergency; a "
            "consultation sent less urgent always has the station's written reason."
        ),
    )


def dashboard_tables(period: Period, place: Place) -> list[Table]:
    url = reverse("monitoring:dashboard")
    if place.kind == "facility" and place.facility is not None and place.facility.is_hub:
        tables = [queue_health(place), specialist_compliance(period, place), trend(period, place)]
    elif place.kind == "facility":
        tables = [trend(period, place)]  # one facility: nothing to compare it with
    else:
        tables = [trend(period, place), comparison(period, place, url)]
    tables += [
        in_time_by_urgency(period, place),
        danger_signs(period, place),
        vulnerable_groups(period, place),
        breakdown(
            period,
            place,
            "consults_submitted",
            "specialty",
            _("Consultations by specialty"),
            _("Specialty"),
        ),
        breakdown(
            period,
            place,
            "consults_submitted",
            "age_band",
            _("Consultations by age band"),
            _("Age (years)"),
        ),
        breakdown(period, place, "consults_submitted", "sex", _("Consultations by sex"), _("Sex")),
        training(period, place),
        capacity(period, place),
    ]
    return tables
