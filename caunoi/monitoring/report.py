"""The monthly report of a province, in Vietnamese, as a printable PDF: the same numbers as the
dashboard (suppressed cells printed as "<5")."""

from __future__ import annotations

from django.utils import timezone

from caunoi.core.pdf import VietnameseDocument
from caunoi.monitoring.dashboards import dashboard_tables, headline
from caunoi.monitoring.facts import snapshot
from caunoi.monitoring.indicators import Place
from caunoi.monitoring.periods import Period
from caunoi.places.models import Province

UNIT_VI = {"percent": "%", "minutes": " phút", "hours": " giờ", "days": " ngày"}


def _shown(value: object) -> str:
    if value == "•":
        return "<5"
    return "—" if value is None else str(value)


def province_report_pdf(province: Province, period: Period) -> bytes:
    with snapshot():  # every figure of the report from one moment
        return _report(province, period)


def _report(province: Province, period: Period) -> bytes:
    place = Place(kind="province", province_code=province.code)
    pdf = VietnameseDocument(f"Báo cáo hoạt động khám bệnh, chữa bệnh từ xa {period.label}")
    pdf.letterhead(
        f"Sở Y tế {province.name[:1].lower()}{province.name[1:]}",
        "BÁO CÁO HOẠT ĐỘNG KHÁM BỆNH, CHỮA BỆNH TỪ XA",
        f"Kỳ báo cáo: tháng {period.start:%m/%Y} · lập ngày {timezone.localdate():%d/%m/%Y}",
    )
    pdf.heading("I. CÁC CHỈ SỐ CHÍNH")
    for item in headline(period, place):
        cell, indicator = item["cell"], item["indicator"]
        shown = (
            "<5"
            if cell.suppressed
            else ("—" if cell.value is None else f"{cell.value}{UNIT_VI.get(indicator.unit, '')}")
        )
        pdf.field(indicator.name_vi, shown)
    pdf.heading("II. CHI TIẾT")
    for table in dashboard_tables(period, place):
        pdf.text_block(table.title, 10, bold=True)
        if not table.rows:
            pdf.text_block("Không có hoạt động trong kỳ.", 9)
            continue
        for row in table.rows[:40]:
            pdf.text_block(
                "  " + " · ".join([str(row[0]), *(_shown(v) for v in row[1:])]), 9, height=4.8
            )
        pdf.ln(1)
    pdf.ln(2)
    pdf.text_block(
        'Số liệu tổng hợp tự động từ hoạt động trên nền tảng Cầu Nối. Ô ghi "<5" có dưới 5 người bệnh '
        "và không được công bố (Luật Bảo vệ dữ liệu cá nhân 91/2025/QH15).",
        8,
    )
    pdf.signatures(
        ("NGƯỜI LẬP BÁO CÁO\n(ký, ghi rõ họ tên)", ""), ("GIÁM ĐỐC SỞ Y TẾ\n(ký, đóng dấu)", "")
    )
    return pdf.render()
