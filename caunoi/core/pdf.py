"""Vietnamese A4 documents (minutes, referral slips) with fpdf2 and DejaVu Sans, which renders
every Vietnamese diacritic (vendored with its licence in core/fonts/)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

FONTS = Path(__file__).resolve().parent / "fonts"


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

    def signatures(self, left: tuple[str, str], right: tuple[str, str]) -> None:
        """Two signature blocks: (role line, name) each."""
        width = self.epw
        self.ln(8)
        y = self.get_y()
        self.set_font("DejaVu", "B", 10)
        self.multi_cell(width / 2, 5, left[0], align="C")
        self.set_xy(self.l_margin + width / 2, y)
        self.multi_cell(width / 2, 5, right[0], align="C")
        self.ln(14)
        y = self.get_y()
        self.set_font("DejaVu", "", 10)
        self.multi_cell(width / 2, 5, left[1], align="C")
        self.set_xy(self.l_margin + width / 2, y)
        self.multi_cell(width / 2, 5, right[1], align="C")

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
