"""Vietnamese A4 documents (minutes, referral slips) with fpdf2 and DejaVu Sans, which renders
every Vietnamese diacritic (vendored with its licence in core/fonts/)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from django.utils import formats, timezone, translation
from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos
from fpdf.fonts import FontFace

FONTS = Path(__file__).resolve().parent / "fonts"


def number_vi(
    value: int | float | Decimal, decimal_pos: int | None = None, *, grouping: bool = False
) -> str:
    """A number as a Vietnamese document writes it ("37,8"; "1.234" with ``grouping``), by
    Django's l10n and ``caunoi/formats/vi`` — whatever language the reader's interface uses,
    since these documents are kept in Vietnamese."""
    with translation.override("vi"):
        return formats.number_format(value, decimal_pos, use_l10n=True, force_grouping=grouping)


def when_vi(moment: datetime | None) -> str:
    """ "14 giờ 05 ngày 22 tháng 11 năm 2026", as Vietnamese forms write times."""
    if moment is None:
        return "—"
    local = timezone.localtime(moment)
    return f"{local:%H} giờ {local:%M} ngày {local:%d} tháng {local:%m} năm {local:%Y}"


class VietnameseDocument(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self.set_title(title)
        self.set_author("Cầu Nối")
        self.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_margins(18, 15, 18)
        self.set_auto_page_break(True, margin=18)
        self.add_page()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", size=8)
        self.set_text_color(110)
        self.cell(0, 6, f"Cầu Nối · trang {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0)

    def text_block(
        self,
        value: str,
        size: float = 10,
        bold: bool = False,
        align: str = "L",
        height: float = 5.5,
    ) -> None:
        self.set_font("DejaVu", "B" if bold else "", size)
        self.multi_cell(self.epw, height, value, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(self, value: str) -> None:
        # A heading never ends a page on its own: it moves with the first lines it introduces.
        if self.will_page_break(2 + 6 + 2 * 5.5):
            self.add_page()
        else:
            self.ln(2)
        self.text_block(value, 11, bold=True)

    def field(self, label: str, value: str) -> None:
        self.set_font("DejaVu", "B", 10)
        self.write(5.5, f"{label}: ")
        self.set_font("DejaVu", "", 10)
        self.write(5.5, value or "—")
        self.ln(6)

    def letterhead(self, organisation: str, title: str, subtitle: str = "") -> None:
        """The facility on the left, the national motto on the right, then the title."""
        top = self.get_y()
        width = self.epw
        self.set_font("DejaVu", "B", 9)
        self.multi_cell(width * 0.45, 5, organisation.upper(), align="C")
        self.set_xy(self.l_margin + width * 0.45, top)
        self.multi_cell(
            width * 0.55,
            5,
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc",
            align="C",
        )
        self.ln(6)
        self.text_block(title, 14, bold=True, align="C", height=7)
        if subtitle:
            self.text_block(subtitle, 9, align="C")
        self.ln(3)

    def _lines(self, text: str, width: float, style: str) -> int:
        self.set_font("DejaVu", style, 10)
        lines = self.multi_cell(width, 5, text, dry_run=True, output=MethodReturnValue.LINES)
        assert isinstance(lines, list)  # what output=LINES answers
        return max(1, len(lines))

    def signatures(self, left: tuple[str, str], right: tuple[str, str], *, dated: str = "") -> None:
        """Two signature blocks: (role line, name) each, with an optional place-and-date line
        above the right one, kept whole on one page (a signature under a role printed on the
        page before is no signature)."""
        half = self.epw / 2
        roles = max(self._lines(left[0], half, "B"), self._lines(right[0], half, "B"))
        names = max(self._lines(left[1], half, ""), self._lines(right[1], half, ""))
        height = 8 + (6 if dated else 0) + 5 * roles + 14 + 5 * names
        if self.will_page_break(height):
            self.add_page()
        else:
            self.ln(8)
        if dated:
            self.set_font("DejaVu", "", 10)
            self.set_x(self.l_margin + half)
            self.cell(half, 5, dated, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(1)
        self._two_columns(left[0], right[0], "B")
        self.ln(14)
        self._two_columns(left[1], right[1], "")

    def _two_columns(self, left: str, right: str, style: str) -> None:
        """Two centred texts side by side; the cursor ends below the longer one."""
        half = self.epw / 2
        self.set_font("DejaVu", style, 10)
        top = self.get_y()
        self.multi_cell(half, 5, left, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        bottom = self.get_y()
        self.set_xy(self.l_margin + half, top)
        self.multi_cell(half, 5, right, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_y(max(bottom, self.get_y()))

    def render(self) -> bytes:
        return bytes(self.output())


def pdf_table(
    pdf: FPDF,
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    widths: Sequence[float],
    align: Sequence[str],
    size: float = 9,
) -> None:
    """A table with a bold, shaded heading row that is repeated on every page the table runs
    onto, and a line under each row. ``widths`` are relative; ``align`` is "LEFT" or "RIGHT"
    per column (figures go right, so that their digits line up)."""
    pdf.set_font("DejaVu", "", size)
    with pdf.table(
        width=pdf.epw,
        col_widths=tuple(widths),
        text_align=tuple(align),
        borders_layout="HORIZONTAL_LINES",
        headings_style=FontFace(emphasis="BOLD", fill_color=(238, 241, 244)),
        line_height=size * 0.5,
        padding=(1, 1.5),
        repeat_headings=1,
    ) as table:
        for values in (headings, *rows):
            row = table.row()
            for value in values:
                row.cell(value)
    pdf.ln(3)
