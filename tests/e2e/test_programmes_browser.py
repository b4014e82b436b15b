"""A donor in a real browser: KOFIH's viewer opens the programme from the list, reads its
logframe with the actual the platform computed (the M&E API's own figure for the same province
and month, asked by the same browser), and downloads the IATI file, valid against the official
2.03 schema, whose result carries that actual."""

import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import xmlschema
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.consults.models import Consultation
from caunoi.consults.services import ConsultationInput, consultation_submit
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.patients.tests.factories import make_patient
from caunoi.programmes.models import Partner, PriorityArea
from caunoi.programmes.services import (
    IndicatorInput,
    ProgrammeInput,
    indicator_add,
    programme_create,
    result_add,
    target_set,
)

pytestmark = pytest.mark.browser

SCHEMA = (
    Path(__file__).resolve().parents[2]
    / "caunoi/programmes/iati_schemas/iati-activities-schema.xsd"
)


@pytest.fixture
def programme(committed_db):
    """Six consultations sent this month from `worker`'s station, and a KOFIH programme
    covering its province whose goal's indicator is bound to "consultations sent"."""
    worker = User.objects.get(username="worker")
    admin = User.objects.get(username="admin")
    made = [
        consultation_submit(
            actor=worker,
            client_id=uuid.uuid4(),
            submit=True,
            data=ConsultationInput(
                patient=make_patient(worker, name=f"Khung logic {n}"),
                specialty=internal_medicine(),
                summary=summary(),
            ),
        )[0]
        for n in range(6)
    ]
    kofih, created = Partner.objects.get_or_create(
        short_name="KOFIH",
        defaults={"name": "Korea Foundation for International Healthcare", "kind": "bilateral"},
    )
    today = timezone.localdate()
    province = worker.memberships.get().facility.province
    p, _new = programme_create(
        actor=admin,
        client_id=uuid.uuid4(),
        data=ProgrammeInput(
            code="E2E-TELEMED",
            title_vi="Dự án khám, chữa bệnh từ xa (thử)",
            title_en="Telemedicine (test)",
            status="implementation",
            starts_on=date(today.year - 1, 1, 1),
            ends_on=date(today.year + 1, 12, 31),
            partners=[(kofih, "funding")],
            priority_areas=list(PriorityArea.objects.filter(code="grassroots-health")),
            provinces=[province],
        ),
    )
    goal = result_add(
        programme=p, actor=admin, level="goal", code="G", title_vi="Trạm xã được hỗ trợ kịp thời"
    )
    indicator = indicator_add(
        result=goal,
        actor=admin,
        data=IndicatorInput(
            code="G.1", title_vi="Số ca hội chẩn được gửi", bound_code="consults_submitted"
        ),
    )
    target_set(indicator=indicator, actor=admin, period=f"{today:%Y-%m}", value=Decimal(4))
    try:
        yield p, province
    finally:
        p.delete()
        if created:
            kofih.delete()
        for c in made:
            patient = c.patient
            Consultation.objects.filter(pk=c.pk).delete()
            patient.consents.all().delete()
            patient.delete()


def test_the_donor_reads_the_computed_logframe_and_downloads_the_iati_file(
    new_page, sign_in, programme, tmp_path
):
    p, province = programme
    month = f"{timezone.localdate():%Y-%m}"
    page = new_page()
    sign_in(page, "donor")
    page.goto("/programmes/")
    page.get_by_role("link", name="Dự án khám, chữa bệnh từ xa (thử)").click()
    page.wait_for_url(f"**/programmes/{p.public_id}/")
    page.get_by_role("link", name="Khung logic").click()
    page.wait_for_url(f"**/programmes/{p.public_id}/logframe/")
    cell = page.locator(f'td[data-indicator="consults_submitted"][data-period="{month}"]')
    shown = cell.inner_text().strip()
    # The same browser asks the M&E API for the province's month: the same figure.
    answer = page.request.get(
        f"/api/indicators/consults_submitted/values?period={month}&place={province.code}"
    )
    assert answer.ok
    expected = answer.json()["total"]
    assert not expected["suppressed"]
    assert expected["value"] >= 6  # this test's six, and any other of the month
    assert shown == str(int(expected["value"]))
    row = cell.locator("xpath=..")
    assert "Số ca hội chẩn được gửi" in page.locator("main").inner_text()
    assert "đang diễn ra" in row.inner_text()  # this month runs: no light yet

    page.get_by_role("link", name="Tổng quan và tài chính").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải tệp IATI (XML 2.03)").click()
    path = tmp_path / "iati.xml"
    download.value.save_as(path)
    xml = path.read_text(encoding="utf-8")
    assert list(xmlschema.XMLSchema(str(SCHEMA)).iter_errors(xml)) == []
    actual = ET.fromstring(xml).find(".//result/indicator/period/actual")  # noqa: S314
    assert actual is not None
    assert actual.get("value") == shown
