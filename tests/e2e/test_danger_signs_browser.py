"""Danger signs on the consult form, in a real Chromium: the check runs as the worker ticks,
raises the urgency with the Vietnamese instruction, asks for a reason to go lower (the server
refuses it without one), and the hub's coordinator sees the signs on the triage queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from caunoi.consults.models import Consultation

pytestmark = pytest.mark.browser

INFANT = "Sùng A Lử"


@pytest.fixture
def infant(station_patient):
    born = timezone.localdate() - timedelta(days=35)
    return station_patient(INFANT, sex="male", birth_date=born, age_years=None)


def test_an_infant_with_chest_indrawing_goes_as_an_emergency_and_the_hub_sees_why(
    new_page, sign_in, infant
):
    page = new_page()
    sign_in(page, "worker")
    page.goto(f"/consults/new/?patient={infant.public_id}")
    page.select_option("#id_specialty", label="Hồi sức cấp cứu")
    page.check("input[name=urgency][value=routine]")
    panel = page.locator("#triage-result")
    # Nothing ticked: no sign, and the check says which measurements would help.
    expect(panel).to_contain_text("Không có dấu hiệu nguy hiểm nào trong các dấu hiệu đã kiểm tra")
    expect(panel).to_contain_text("nhịp thở")
    expect(page.locator("#danger-signs .notice")).to_contain_text("không chẩn đoán")
    # Signs of an older child are not offered to a five-week-old.
    expect(page.locator("input[name=signs_found][value=unable_to_drink]")).to_have_count(0)

    page.check("input[name=signs_found][value=chest_indrawing]")
    expect(panel).to_contain_text("Trẻ nhỏ rút lõm lồng ngực nặng")
    expect(panel).to_contain_text("Chuyển tuyến khẩn cấp")
    expect(panel).to_contain_text("Cần mức: cấp cứu")
    expect(page.locator("input[name=urgency][value=emergency]")).to_be_checked()
    expect(panel.locator(".triage-raised")).to_contain_text("đã được nâng lên")
    reason = page.locator("#urgency-reason")
    expect(reason).to_be_hidden()

    # Lower it without a reason: the page asks for one, and the server refuses to send.
    page.check("input[name=urgency][value=urgent]")
    expect(reason).to_be_visible()
    expect(page.locator("#id_urgency_reason")).to_have_attribute("required", "")
    page.fill("#id_reason", "Ho, sốt nhẹ 2 ngày, bú kém")
    page.fill("#id_respiratory_rate", "58")
    page.fill("#id_question", "Xử trí trước khi chuyển?")
    page.click("button[name=submit]")
    expect(page.locator("#id_urgency_reason_error")).to_contain_text("cấp cứu")
    assert not Consultation.objects.filter(patient=infant).exists()

    # Back to emergency: sent, and the consultation keeps the check.
    page.check("input[name=urgency][value=emergency]")
    expect(reason).to_be_hidden()
    page.click("button[name=submit]")
    page.wait_for_url("**/consults/*/")
    c = Consultation.objects.get(patient=infant)
    assert (c.urgency, c.triage_urgency) == ("emergency", "emergency")
    assert [s["id"] for s in c.triage["signs"]] == ["yi-chest-indrawing"]
    expect(page.locator("#danger-signs")).to_contain_text("Trẻ nhỏ rút lõm lồng ngực nặng")

    hub = new_page()
    sign_in(hub, "coordinator")
    hub.goto("/consults/?queue=triage")
    row = hub.locator(".consult-row", has_text=INFANT)
    expect(row).to_contain_text("Dấu hiệu nguy hiểm:")
    expect(row).to_contain_text("Trẻ nhỏ rút lõm lồng ngực nặng")
    expect(row.locator(".tag.urgency-emergency")).to_be_visible()
