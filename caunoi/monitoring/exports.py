"""CSV and XLSX of any dashboard table: the same (suppressed) numbers as the page.

- **CSV is for programs** (R, Stata, a spreadsheet import, another database): UTF-8 with a BOM,
  comma-separated, numbers with a '.' decimal and no thousands separator, each value in its
  indicator's unit as the API gives it (minutes, percent as 37.8), the unit named in the column
  heading, months as 2026-09; a suppressed cell is written "<5".
- **XLSX is for people**: numbers are stored as numbers (they sort, sum and chart) with a number
  format that shows the unit — a percent as 37.8% (stored as 0.378), minutes and hours with
  their unit in the reader's language — and the spreadsheet program writes them with the
  reader's decimal mark (37,8 in a Vietnamese Excel or LibreOffice). Months are dates shown
  mm/yyyy.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from caunoi.monitoring.dashboards import Table
from caunoi.monitoring.figures import Figure, unit_word

SUPPRESSED = "<5"


def _machine(figure: Figure) -> object:
    if figure.suppressed:
        return SUPPRESSED
    if figure.value is None:
        return ""
    value = figure.value
    return int(value) if float(value).is_integer() and figure.unit == "count" else value


def table_csv(table: Table, filename: str) -> HttpResponse:
    out = io.StringIO()
    out.write("\ufeff")  # a BOM, so that Excel opens the Vietnamese text as UTF-8
    writer = csv.writer(out)
    headings = [table.label_title]
    for column in table.columns:
        word = unit_word(column.unit)
        headings.append(f"{column.title} ({word})" if word else column.title)
    writer.writerow(headings)
    for row in table.rows:
        writer.writerow([row.key if row.month else row.label, *map(_machine, row.figures)])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def number_format(unit: str) -> str:
    """The spreadsheet number format of a unit (format codes always use '.' and ',';
    the spreadsheet program shows the reader's own marks)."""
    if unit == "percent":
        return "0.0%"
    if unit in ("minutes", "hours", "days"):
        return '#,##0.0" ' + unit_word(unit) + '"'
    if unit == "ratio":
        return "0.00"
    return "#,##0"


def _cell(figure: Figure) -> Any:
    if figure.suppressed:
        return SUPPRESSED
    if figure.value is None:
        return None
    return figure.value / 100 if figure.unit == "percent" else figure.value


def table_xlsx(table: Table, filename: str) -> HttpResponse:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = table.key[:31]
    sheet.append([table.title])
    sheet["A1"].font = Font(bold=True)
    sheet.append(table.headings)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([row.month or row.label, *map(_cell, row.figures)])
        line = sheet.max_row
        if row.month:
            sheet.cell(line, 1).number_format = "mm/yyyy"
        for n, (column, figure) in enumerate(zip(table.columns, row.figures, strict=True), 2):
            if not figure.suppressed:
                sheet.cell(line, n).number_format = number_format(column.unit)
    sheet.append([])
    if table.note:
        sheet.append([table.note])
    sheet.append(
        [_('"<5": not published (fewer than 5 patients, or would give such a figure away).')]
    )
    sheet.column_dimensions["A"].width = max(
        [len(table.label_title), *(len(r.label) for r in table.rows), 10]
    )
    for n, column in enumerate(table.columns, 2):
        sheet.column_dimensions[get_column_letter(n)].width = max(12, len(column.title) + 2)
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
