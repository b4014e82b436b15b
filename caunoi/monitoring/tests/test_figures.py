"""Figures people can read: every figure names its unit, numbers are written in the reader's
language (37,8 in Vietnamese, 37.8 in English) on the page, in the monthly PDF and in the XLSX;
the CSV stays machine-readable; the vulnerable groups show their consultations and their share
of all; age bands read in age order."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation
from openpyxl import load_workbook
from pypdf import PdfReader

from caunoi.consults.models import Consultation
from caunoi.consults.services import ConsultationInput, consultation_submit
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.monitoring.figures import figure_text, number
from caunoi.patients.tests.factories import make_patient

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SENT = datetime(2026, 9, 10, 9, 0, tzinfo=TZ)
PAGE = "/monitoring/?place=4&period=2026-09"


@pytest.fixture
def september(worker, specialist):
    """Twenty-six consultations from Bảo Lâm in September 2026, all answered: half after 500
    minutes (in time: the deadline is 10 hours), half after 603.2 (late), so the median is
    551.6 minutes and half are in time. Patients: 5 H'Mông adults, 5 Kinh aged 70, 5 Kinh
    children aged 3, 5 Kinh aged 10 and 6 Kinh adults (the last 11 in no vulnerable group)."""
    people = (
        [("08", 30)] * 5 + [("01", 70)] * 5 + [("01", 3)] * 5 + [("01", 10)] * 5 + [("01", 40)] * 6
    )
    for n, (ethnicity, age) in enumerate(people):
        patient = make_patient(worker, name=f"Số liệu {n}", ethnicity=ethnicity, age_years=age)
        c, _created = consultation_submit(
            actor=worker,
            client_id=uuid.uuid4(),
            submit=True,
            data=ConsultationInput(
                patient=patient, specialty=internal_medicine(), summary=summary()
            ),
        )
        first = SENT + timedelta(minutes=500 if n % 2 == 0 else 603.2)
        Consultation.objects.filter(pk=c.pk).update(
            submitted_at=SENT,
            deadline_at=SENT + timedelta(hours=10),
            first_response_at=first,
            answered_at=first,
            specialist=specialist,
            status="answered",
            updated_at=timezone.now(),
        )


def reading(login, user, language):
    """A signed-in client whose pages come in ``language`` (the account's choice)."""
    user.language = language
    user.save(update_fields=["language"])
    return login(user)


def _headline(page: str, name: str) -> str:
    found = re.search(
        r"<li><strong>([^<]*)</strong> <span[^>]*>" + re.escape(name) + "</span>", page
    )
    assert found, name
    return found.group(1)


def _rows(page: str, table: str) -> list[list[str]]:
    section = re.search(rf'id="table-{table}".*?</section>', page, re.S)
    assert section, table
    body = re.search(r"<tbody>(.*?)</tbody>", section.group(0), re.S)
    assert body
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)
    ]


def test_figures_name_their_unit_in_the_readers_language():
    with translation.override("en"):
        assert figure_text(37.8, "percent") == "37.8%"
        assert figure_text(45.4, "minutes") == "45 min"
        assert figure_text(551.6, "minutes") == "9.2 h"
        assert figure_text(5000, "minutes") == "3.5 days"
        assert figure_text(1.0, "days") == "1.0 day"
        assert figure_text(12.25, "hours") == "12.3 h"
        assert figure_text(1234, "count") == "1,234"
        assert figure_text(1.5, "ratio") == "1.50"
        assert figure_text(None, "percent") == "—"
        assert figure_text(3, "count", suppressed=True) == "•"
    with translation.override("vi"):
        assert figure_text(37.8, "percent") == "37,8%"
        assert number(1234) == "1.234"
        assert number(551.6, 1) == "551,6"
        assert figure_text(551.6, "minutes").startswith("9,2 ")


def test_the_headline_names_units_and_writes_numbers_as_the_reader_does(september, officer, login):
    english = reading(login, officer, "en").get(PAGE).content.decode()
    assert _headline(english, "Consultations submitted") == "26"
    assert _headline(english, "Answered within the deadline") == "50.0%"
    assert _headline(english, "Time to first response (median)") == "9.2 h"  # 551.6 minutes
    vietnamese = reading(login, officer, "vi").get(PAGE).content.decode()
    assert _headline(vietnamese, "Tỷ lệ phản hồi đúng hạn") == "50,0%"
    assert _headline(vietnamese, "Thời gian phản hồi (trung vị)").startswith("9,2 ")
    assert "551,6" not in vietnamese
    assert "551.6" not in english


def test_vulnerable_groups_show_their_consultations_and_their_share_of_all(
    september, officer, login
):
    page = reading(login, officer, "en").get(PAGE).content.decode()
    assert _rows(page, "vulnerable_groups") == [
        ["ethnic minority", "5", "19.2%"],
        ["elderly (60+)", "5", "19.2%"],
        ["child under 6", "5", "19.2%"],
        ["none of these groups", "11", "42.3%"],
    ]
    assert "Share of all consultations" in page
    section = re.search(r'id="table-vulnerable_groups".*?</section>', page, re.S)
    assert section
    assert "100.0%" not in section.group(0)  # no group is a share of itself


def test_age_bands_read_youngest_first(september, officer, login):
    page = reading(login, officer, "en").get(PAGE).content.decode()
    assert _rows(page, "consults_submitted-age_band") == [
        ["0-5", "5"],
        ["6-15", "5"],
        ["16-59", "11"],
        ["60+", "5"],
    ]


def test_the_trend_writes_months_as_people_do(september, officer, login):
    page = reading(login, officer, "en").get(PAGE).content.decode()
    rows = _rows(page, "trend")
    assert rows[-1] == ["09/2026", "26"]
    assert [r[0] for r in rows] == [f"{m:02d}/2025" for m in range(10, 13)] + [
        f"{m:02d}/2026" for m in range(1, 10)
    ]


def _pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)


def test_the_monthly_report_is_tables_with_headings_in_the_readers_formatting(
    september, officer, login
):
    english = _pdf_text(reading(login, officer, "en").get(f"{PAGE}&export=pdf"))
    assert "TELEHEALTH ACTIVITY REPORT" in english
    assert "DEPARTMENT OF HEALTH, TỈNH CAO\nBẰNG" in english
    assert "Reporting period: month 09/2026" in english
    assert "Indicator Value" in english  # the headings of the key figures
    assert "Consultations submitted 26" in english
    assert "Answered within the deadline 50.0%" in english
    assert "Time to first response (median) 9.2 h" in english
    assert "Facility Consultations Answered in time" in english
    assert "Trạm Y tế xã Bảo Lâm 26 50.0%" in english
    assert "Group Consultations Share of all consultations" in english
    assert "none of these groups 11 42.3%" in english
    assert "Month Consultations submitted" in english
    assert "09/2026 26" in english
    vietnamese = _pdf_text(reading(login, officer, "vi").get(f"{PAGE}&export=pdf"))
    assert "Số ca hội chẩn được gửi 26" in vietnamese
    assert "Tỷ lệ phản hồi đúng hạn 50,0%" in vietnamese
    assert "Trạm Y tế xã Bảo Lâm 26 50,0%" in vietnamese
    assert "50.0" not in vietnamese


def test_the_xlsx_stores_numbers_as_numbers_with_their_unit_format(september, officer, login):
    client = reading(login, officer, "en")
    response = client.get(f"{PAGE}&export=xlsx&table=comparison")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[2]] == ["Facility", "Consultations", "Answered in time"]
    station = sheet[3]
    assert station[0].value == "Trạm Y tế xã Bảo Lâm"
    assert station[1].value == 26
    assert station[1].number_format == "#,##0"
    assert station[2].value == pytest.approx(0.5)
    assert station[2].number_format == "0.0%"
    trend = load_workbook(io.BytesIO(client.get(f"{PAGE}&export=xlsx&table=trend").content)).active
    months = list(trend.iter_rows(min_row=3, max_row=14))
    last = months[-1]
    assert all(isinstance(row[1].value, int) for row in months)
    assert last[0].value == datetime(2026, 9, 1)
    assert last[0].number_format == "mm/yyyy"
    assert last[1].value == 26


def test_the_csv_is_for_programs_with_a_point_decimal_and_units_in_the_headings(
    september, officer, login
):
    client = reading(login, officer, "en")
    text = client.get(f"{PAGE}&export=csv&table=comparison").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Facility", "Consultations", "Answered in time (%)"]
    assert rows[1] == ["Trạm Y tế xã Bảo Lâm", "26", "50.0"]
    trend = client.get(f"{PAGE}&export=csv&table=trend").content.decode("utf-8-sig")
    assert "2026-09,26" in trend  # months as programs read them


def test_spreadsheet_formats_show_the_unit_in_the_readers_language():
    from caunoi.monitoring.exports import number_format

    with translation.override("en"):
        assert number_format("minutes") == '#,##0.0" minutes"'
        assert number_format("percent") == "0.0%"
        assert number_format("count") == "#,##0"
