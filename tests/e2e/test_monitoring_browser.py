import uuid

import pytest

from caunoi.accounts.models import User
from caunoi.consults.models import Consultation
from caunoi.consults.services import ConsultationInput, consultation_submit
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.patients.tests.factories import make_patient

pytestmark = pytest.mark.browser

# Who opens which dashboard (each sees its own by default): the donor the network, the officer
# a province, the coordinator a hub, the commune worker a station, the administrator the network.
DASHBOARDS = ["donor", "officer", "coordinator", "worker", "admin"]
WIDTHS = {"pc": (1366, 768), "phone": (360, 740)}
# Collected before any script of the page runs (an init script is not held to the page's CSP).
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture
def activity(committed_db):
    worker = User.objects.get(username="worker")
    made = []
    for i in range(6):
        patient = make_patient(worker, name=f"Biểu đồ {i}")
        made.append(
            consultation_submit(
                actor=worker,
                client_id=uuid.uuid4(),
                submit=True,
                data=ConsultationInput(
                    patient=patient, specialty=internal_medicine(), summary=summary()
                ),
            )[0]
        )
    yield made
    for c in made:
        patient = c.patient
        Consultation.objects.filter(pk=c.pk).delete()
        patient.consents.all().delete()
        patient.delete()


def test_officer_sees_the_province_dashboard_with_a_chart_and_its_table(
    new_page, sign_in, activity
):
    page = new_page()
    sign_in(page, "officer")
    page.goto("/monitoring/")
    assert "Cao Bằng" in page.locator("h1").inner_text()
    this_month = page.locator("svg[data-chart=trend] g.mark").last
    assert this_month.get_attribute("data-value") == "6"
    assert this_month.locator("rect.bar").count() == 1
    box = this_month.locator("rect.bar").bounding_box()
    assert box
    assert box["height"] > 50
    assert box["width"] > 20
    rows = page.locator("#table-trend table tbody tr")
    assert rows.count() == 12
    assert rows.last.locator("td").inner_text() == "6"
    assert "Trạm Y tế xã Bảo Lâm" in page.locator("svg[data-chart=comparison]").inner_html()
    assert "Trạm Y tế xã Bảo Lâm" in page.locator("#table-comparison").inner_text()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("persona", DASHBOARDS)
def test_every_dashboard_draws_its_charts_with_no_csp_violation_or_console_error(
    new_page, sign_in, activity, persona, width
):
    """The vendored Chartist wrote style attributes that the Content-Security-Policy refused
    (about 150 errors per dashboard); the charts are now SVG drawn on the server."""
    page = new_page()
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(LISTEN)
    sign_in(page, persona)
    page.goto("/monitoring/")
    page.wait_for_load_state("load")
    charts = page.locator("svg.chart")
    assert charts.count() >= 1
    for n in range(charts.count()):
        chart = charts.nth(n)
        assert chart.locator("g.mark").count() >= 1
        box = chart.bounding_box()
        assert box
        assert box["width"] <= WIDTHS[width][0]
    assert page.locator("svg.chart rect.bar").count() >= 1  # something is drawn
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width][0]
    violations = page.evaluate("window.__violations")
    assert violations == []
    assert errors == []
