"""The programme's pages and files: the managers' forms run their services (a refusal is a
message and changes nothing), the logframe page and GET /api/programmes/{id}/logframe give the
same figures, the donor report's PDF holds its tables in the reader's language, the XLSX holds
every table with numbers as numbers, and the kits page records and changes kits."""

import io
import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from caunoi.codes.tests.test_display import pdf_text
from caunoi.programmes.models import Budget, Kit, ProgrammeDocument, Target
from caunoi.programmes.services import (
    IndicatorInput,
    KitInput,
    actual_enter,
    indicator_add,
    kit_register,
    narrative_save,
    rates_load,
    result_add,
    target_set,
)
from caunoi.programmes.tests.test_logframe import PDF, _programme, _send

pytestmark = pytest.mark.django_db


@pytest.fixture
def telemed(network_admin, worker, settings):
    settings.MONITORING_FACTS_MAX_AGE = 0
    today = timezone.localdate()
    station = worker.memberships.get().facility
    for n in range(6):
        _send(worker, n, timezone.now())
    p = _programme(network_admin, provinces=[station.province], starts=date(today.year - 1, 1, 1))
    goal = result_add(
        programme=p, actor=network_admin, level="goal", code="G", title_vi="Mục tiêu chung"
    )
    bound = indicator_add(
        result=goal,
        actor=network_admin,
        data=IndicatorInput(
            code="G.1", title_vi="Ca hội chẩn được gửi", bound_code="consults_submitted"
        ),
    )
    entered = indicator_add(
        result=goal,
        actor=network_admin,
        data=IndicatorInput(
            code="G.2", title_vi="Bộ thiết bị được lắp đặt", title_en="Kits installed"
        ),
    )
    for i in (bound, entered):
        target_set(indicator=i, actor=network_admin, period=str(today.year - 1), value=Decimal(4))
        target_set(indicator=i, actor=network_admin, period=str(today.year), value=Decimal(8))
    actual_enter(
        indicator=entered,
        actor=network_admin,
        period=str(today.year),
        value=Decimal(7),
        evidence=PDF,
    )
    return p


def test_the_logframe_page_and_api_give_the_computed_actuals(telemed, donor, login, api_client):
    year = str(timezone.localdate().year)
    page = login(donor).get(f"/programmes/{telemed.public_id}/logframe/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-period="{year}" data-indicator="consults_submitted">6<' in html
    assert "Ca hội chẩn được gửi" in html
    assert "không có số liệu thực tế" in html.lower() or "chưa có số liệu" in html.lower()
    answer = api_client(donor).get(f"/api/programmes/{telemed.public_id}/logframe")
    assert answer.status_code == 200
    [goal] = answer.json()["results"]
    by_code = {i["code"]: i for i in goal["indicators"]}
    assert by_code["G.1"]["bound_to"] == "consults_submitted"
    assert [(x["period"], x["actual"], x["source"]) for x in by_code["G.1"]["periods"]][-1] == (
        year,
        6,
        "computed",
    )
    last_year = str(int(year) - 1)
    assert by_code["G.2"]["missing"] == [last_year]
    assert by_code["G.2"]["periods"][-1]["source"] == "entered"


def test_a_manager_keeps_the_logframe_budgets_and_documents_from_the_pages(
    telemed, network_admin, donor, login
):
    client = login(network_admin)
    url = f"/programmes/{telemed.public_id}/do"
    year = timezone.localdate().year
    rates_load(f"currency,date,vnd\nUSD,{year}-01-01,25000\n".encode())
    answer = client.post(
        f"{url}/budget/",
        {"year": year, "kind": "original", "currency": "USD", "amount": "1000"},
        follow=True,
    )
    assert "Đã ghi ngân sách năm" in answer.content.decode()
    assert Budget.objects.get(programme=telemed).amount_vnd == Decimal(25_000_000)
    # Bad input: a message, nothing changed.
    answer = client.post(
        f"{url}/budget/",
        {"year": year + 10, "kind": "original", "currency": "USD", "amount": "5"},
        follow=True,
    )
    assert answer.status_code == 200
    assert Budget.objects.filter(programme=telemed).count() == 1
    assert 'class="messages' in answer.content.decode() or "error" in answer.content.decode()
    key = str(uuid.uuid4())
    for _twice in range(2):
        client.post(
            f"{url}/document/",
            {"kind": "mou", "title": "Biên bản ghi nhớ", "client_id": key, "file": io.BytesIO(PDF)},
        )
    assert ProgrammeDocument.objects.filter(programme=telemed).count() == 1
    doc = ProgrammeDocument.objects.get(programme=telemed)
    got = login(donor).get(f"/programmes/{telemed.public_id}/documents/{doc.public_id}/")
    assert got.status_code == 200
    assert b"".join(got.streaming_content).startswith(b"%PDF")
    answer = client.post(
        f"{url}/target/",
        {"indicator": telemed.results.get().indicators.first().pk, "period": "2099", "value": "1"},
        follow=True,
    )
    assert Target.objects.filter(period="2099").count() == 0
    assert "nằm ngoài" in answer.content.decode()
    # A donor sees, but cannot change.
    login(donor).post(
        f"{url}/budget/", {"year": year, "kind": "revised", "currency": "USD", "amount": "9"}
    )
    assert Budget.objects.filter(programme=telemed).count() == 1
    assert login(donor).post(f"/programmes/{uuid.uuid4()}/do/budget/", {}).status_code == 404


def test_the_donor_report_pdf_and_the_xlsx_hold_the_tables(telemed, network_admin, donor, login):
    year = str(timezone.localdate().year)
    narrative_save(
        programme=telemed, actor=network_admin, period=year, progress="Tiến độ tốt ở các trạm."
    )
    answer = login(donor).get(f"/programmes/{telemed.public_id}/report/", {"period": year})
    assert answer["Content-Type"] == "application/pdf"
    text = pdf_text(answer.content)
    assert "BÁO CÁO CHƯƠNG TRÌNH" in text
    assert "Tiến độ tốt ở các trạm." in text
    assert "Ca hội chẩn được gửi" in text
    assert "KHUNG LOGIC" in text
    english = login(donor)
    english.post("/i18n/setlang/", {"language": "en", "next": "/"})
    text_en = english.get(f"/programmes/{telemed.public_id}/report/", {"period": year})
    text = pdf_text(text_en.content)
    assert "PROGRAMME REPORT" in text
    assert "page 1/" in text  # the footer in the reader's language too
    assert "Kits installed" in text
    # The period's tables as XLSX: numbers stored as numbers.
    book = login(donor).get(
        f"/programmes/{telemed.public_id}/report/", {"period": year, "export": "xlsx"}
    )
    sheets = load_workbook(io.BytesIO(book.content))
    assert sheets.sheetnames == ["logframe", "money", "budgets", "kits"]
    rows = list(sheets["logframe"].iter_rows(values_only=True))
    [g1] = [r for r in rows if r[0] and str(r[0]).startswith("G.1")]
    assert (g1[4], g1[5]) == (8, 6)  # target and computed actual, stored as numbers
    portfolio = load_workbook(
        io.BytesIO(login(donor).get("/programmes/", {"export": "xlsx"}).content)
    )
    assert portfolio.sheetnames == ["donor", "year", "province", "priority"]
    # A period that is not one: a message, back to the programme.
    bad = login(donor).get(
        f"/programmes/{telemed.public_id}/report/", {"period": "soon"}, follow=True
    )
    assert "2025-Q3" in bad.content.decode()


def test_the_kits_page_records_a_kit_and_changes_its_status(telemed, network_admin, worker, login):
    station = worker.memberships.get().facility
    client = login(network_admin)
    url = f"/programmes/{telemed.public_id}/do"
    client.post(
        f"{url}/kit/",
        {
            "kind": "kit",
            "serial": "ab-1",
            "facility": station.code,
            "delivered_on": "2025-03-01",
        },
    )
    kit = Kit.objects.get(serial="AB-1")
    answer = client.post(
        f"{url}/kit/",
        {
            "kind": "kit",
            "serial": " AB-1 ",
            "facility": station.code,
            "delivered_on": "2025-03-01",
        },
        follow=True,
    )
    assert Kit.objects.count() == 1
    assert "Một thiết bị khác đã có số sê-ri này" in answer.content.decode()
    client.post(f"{url}/kit_status/", {"serial": "ab-1", "status": "broken", "note": "Hỏng loa"})
    kit.refresh_from_db()
    assert kit.status == "broken"
    assert [e.note for e in kit.log.all()][-1] == "Hỏng loa"
    page = client.get(f"/programmes/{telemed.public_id}/kits/", {"q": "bao lam"})
    assert "AB-1" in page.content.decode()
    assert (
        "AB-1"
        not in client.get(
            f"/programmes/{telemed.public_id}/kits/", {"status": "lost"}
        ).content.decode()
    )
    kit_register(
        programme=telemed,
        actor=network_admin,
        data=KitInput(
            kind="server", serial="SV-9", facility=station, delivered_on=date(2025, 1, 1)
        ),
    )
    assert "SV-9" in client.get(f"/programmes/{telemed.public_id}/kits/").content.decode()
    # The facility named without its diacritics, a name nobody has, a serial the programme
    # does not hold: the first records, the others answer with a message and change nothing.
    named = client.post(
        f"{url}/kit/",
        {"kind": "kit", "serial": "AB-2", "facility": station.name, "delivered_on": "2025-03-02"},
    )
    assert named.status_code == 302
    assert Kit.objects.get(serial="AB-2").facility == station
    unknown = client.post(
        f"{url}/kit/",
        {
            "kind": "kit",
            "serial": "AB-3",
            "facility": "Không Có Trạm Này",
            "delivered_on": "2025-03-02",
        },
        follow=True,
    )
    assert "Không có cơ sở nào của chương trình khớp" in unknown.content.decode()
    lost = client.post(f"{url}/kit_status/", {"serial": "ZZ-9", "status": "lost"}, follow=True)
    assert "Chương trình không có thiết bị nào mang số sê-ri này" in lost.content.decode()
    assert Kit.objects.filter(status="lost").count() == 0
    assert not Kit.objects.filter(serial="AB-3").exists()
    # The page stays light on a weak link: no list of every facility, no form per kit.
    assert len(client.get(f"/programmes/{telemed.public_id}/kits/").content) < 30_000
