"""The monthly report of a province as a printable PDF: the dashboard's figures as tables with
their column headings, in the reader's language — the Vietnamese administrative form (the
Department of Health files it) in Vietnamese, with Vietnamese number formatting (37,8%), and the
same report in English for partners, with English formatting (37.8%). Suppressed cells are
printed "•", as on the page."""

from __future__ import annotations

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from caunoi.core.pdf import VietnameseDocument, pdf_table
from caunoi.monitoring.catalogue import Place
from caunoi.monitoring.dashboards import Table, dashboard_tables, headline
from caunoi.monitoring.freshness import snapshot
from caunoi.monitoring.periods import Period, period_text
from caunoi.places.models import Province

# The closing note and the two signature blocks, kept on one page (millimetres).
CLOSING = 52
KEEP_WITH_TITLE = 26  # a table's title, its headings and two rows


class ReportDocument(VietnameseDocument):
    def footer(self) -> None:
        """The page number in the reader's language."""
        self.set_y(-12)
        self.set_font("DejaVu", size=8)
        self.set_text_color(110)
        self.cell(
            0,
            6,
            _("Cầu Nối · page %(page)s/%(pages)s") % {"page": self.page_no(), "pages": "{nb}"},
            align="C",
        )
        self.set_text_color(0)


def province_report_pdf(province: Province, period: Period) -> bytes:
    with snapshot():  # every figure of the report from one moment
        return _report(province, period)


def _letterhead(pdf: ReportDocument, organisation: str, title: str, subtitle: str) -> None:
    """The department on the left, the national motto on the right, then the title."""
    top = pdf.get_y()
    width = pdf.epw
    pdf.set_font("DejaVu", "B", 9)
    pdf.multi_cell(width * 0.45, 5, organisation.upper(), align="C")
    pdf.set_xy(pdf.l_margin + width * 0.45, top)
    pdf.multi_cell(
        width * 0.55,
        5,
        _("SOCIALIST REPUBLIC OF VIET NAM\nIndependence - Freedom - Happiness"),
        align="C",
    )
    pdf.ln(6)
    pdf.text_block(title, 14, bold=True, align="C", height=7)
    pdf.text_block(subtitle, 9, align="C")
    pdf.ln(3)


def _table(pdf: ReportDocument, table: Table) -> None:
    if pdf.will_page_break(KEEP_WITH_TITLE):  # a title never ends a page without its table
        pdf.add_page()
    pdf.text_block(table.title, 10, bold=True)
    if not table.rows:
        pdf.text_block(_("No activity in this period."), 9)
        pdf.ln(2)
        return
    pdf_table(
        pdf,
        table.headings,
        [[row.label, *(f.text for f in row.figures)] for row in table.rows],
        widths=[3.2, *([1.6] * len(table.columns))],
        align=["LEFT", *(["RIGHT"] * len(table.columns))],
    )
    if table.note:
        pdf.text_block(table.note, 8)
        pdf.ln(2)


def _report(province: Province, period: Period) -> bytes:
    place = Place(kind="province", province_code=province.code)
    name = f"{province.name[:1].lower()}{province.name[1:]}"  # "tỉnh Tuyên Quang"
    pdf = ReportDocument(
        _("Telehealth activity report, %(period)s") % {"period": period_text(period)}
    )
    _letterhead(
        pdf,
        _("Department of Health, %(province)s") % {"province": name},
        _("TELEHEALTH ACTIVITY REPORT"),
        _("Reporting period: %(period)s · prepared on %(date)s")
        % {
            "period": period_text(period),
            "date": date_format(timezone.localdate(), "SHORT_DATE_FORMAT"),
        },
    )
    pdf.heading(_("I. KEY FIGURES"))
    items = headline(period, place)
    pdf_table(
        pdf,
        [_("Indicator"), _("Value")],
        [[item.indicator.name, item.figure.text] for item in items],
        widths=[3.2, 1.6],
        align=["LEFT", "RIGHT"],
    )
    pdf.heading(_("II. DETAILS"))
    for table in dashboard_tables(period, place):
        _table(pdf, table)
    if pdf.will_page_break(CLOSING):
        pdf.add_page()
    pdf.text_block(
        _(
            "Figures computed automatically from the activity recorded on the Cầu Nối platform. "
            "A figure shown as • counts fewer than 5 patients, or would give such a figure away, "
            "and is not published (Law on Personal Data Protection No. 91/2025/QH15)."
        ),
        8,
    )
    pdf.signatures(
        (_("PREPARED BY\n(signature, full name)"), ""),
        (_("DIRECTOR OF THE DEPARTMENT OF HEALTH\n(signature and seal)"), ""),
    )
    return pdf.render()
