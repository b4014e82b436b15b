"""CSV and XLSX of any dashboard table: the same (suppressed) numbers as the page."""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse
from openpyxl import Workbook

from caunoi.monitoring.dashboards import Table

SUPPRESSED = "<5"


def _value(v: object) -> object:
    return SUPPRESSED if v == "•" else ("" if v is None else v)


def table_csv(table: Table, filename: str) -> HttpResponse:
    out = io.StringIO()
    out.write("\ufeff")  # a BOM, so that Excel opens the Vietnamese text as UTF-8
    writer = csv.writer(out)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_value(v) for v in row])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def table_xlsx(table: Table, filename: str) -> HttpResponse:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = table.key[:31]
    sheet.append([table.title])
    sheet.append(table.columns)
    for row in table.rows:
        sheet.append([_value(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
