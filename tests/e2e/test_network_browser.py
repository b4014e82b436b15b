import re

import pytest

pytestmark = pytest.mark.browser


def test_worker_finds_her_station_and_its_internal_medicine_hub(new_page, sign_in, committed_db):
    page = new_page()
    sign_in(page, "worker")
    assert page.locator("html").get_attribute("lang") == "vi"
    page.goto("/network/facilities/")
    page.fill("#id_q", "tram y te bao lam")
    page.locator("#id_q").press("Enter")
    result = page.get_by_role("link", name="Trạm Y tế xã Bảo Lâm")
    result.click()
    page.wait_for_url(re.compile(r"/network/facilities/[0-9a-f-]{36}/$"))
    assert page.locator("h1").inner_text().startswith("Trạm Y tế xã Bảo Lâm")
    row = page.locator("tr", has_text="Nội khoa")
    assert "Bệnh viện Trung ương Huế" in row.inner_text()
