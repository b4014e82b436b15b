import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from caunoi.consults.models import Consultation
from caunoi.consults.services import ConsultationInput, consultation_submit
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.monitoring import dashboard_cache
from caunoi.monitoring.facts import refresh
from caunoi.monitoring.models import FactState
from caunoi.patients.tests.factories import make_patient

pytestmark = pytest.mark.django_db
SEPT = datetime(2026, 9, 10, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


def _consults(worker, n, start=0):
    for i in range(start, start + n):
        patient = make_patient(worker, name=f"Bảng {i}")
        c, _created = consultation_submit(
            actor=worker,
            client_id=uuid.uuid4(),
            submit=True,
            data=ConsultationInput(
                patient=patient, specialty=internal_medicine(), summary=summary()
            ),
        )
        Consultation.objects.filter(pk=c.pk).update(submitted_at=SEPT, updated_at=timezone.now())


def test_province_dashboard_shows_figures_tables_and_drill_down(worker, officer, login):
    _consults(worker, 6)
    page = login(officer).get("/monitoring/?place=4&period=2026-09").content.decode()
    assert '<svg class="chart chart-columns" data-chart="trend"' in page
    assert '<svg class="chart chart-bars" data-chart="comparison"' in page
    assert "Trạm Y tế xã Bảo Lâm" in page
    as_of = timezone.localtime(FactState.objects.get().refreshed_at)
    assert f"Số liệu tính đến {as_of:%H:%M %d/%m/%Y}." in page  # when the figures were computed
    station = worker.memberships.get().facility
    assert f"?place={station.public_id}&amp;period=2026-09" in page  # drill-down to the facility


def test_figures_never_computed_say_so_instead_of_showing_zeros_as_fact(
    worker, officer, login, settings
):
    _consults(worker, 6)
    settings.MONITORING_FACTS_MAX_AGE = 60
    FactState.objects.all().delete()
    page = login(officer).get("/monitoring/?place=4&period=2026-09").content.decode()
    assert "Số liệu đang được tính lần đầu: hãy tải lại trang sau vài phút." in page
    assert "Số liệu tính đến" not in page
    refresh()
    page = login(officer).get("/monitoring/?place=4&period=2026-09").content.decode()
    assert "Số liệu đang được tính lần đầu" not in page
    assert "Số liệu tính đến" in page


def test_dashboard_queries_do_not_grow_with_the_data(worker, officer, login, settings):
    """With the facts fresh (as they are between refreshes in production), a page costs the same
    number of queries whatever the number of consultations, rendered (cold) and with its figures
    from the cache (warm); a refresh writes them in batches, and its new refresh time makes the
    next page cold, with the new figures."""
    settings.MONITORING_FACTS_MAX_AGE = 3600
    url = "/monitoring/?place=4&period=2026-09"
    client = login(officer)
    _consults(worker, 5)
    refresh()
    client.get(url)  # the session is saved on the first visit
    dashboard_cache.forget_all()

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(url).content.decode()
        return len(ctx.captured_queries), page

    cold_few, page = queries()
    assert '<td class="num">5</td>' in page
    warm_few, _page = queries()
    _consults(worker, 10, start=5)
    refreshed = refresh()
    assert refreshed.written == 10
    cold_many, page = queries()
    assert '<td class="num">15</td>' in page  # the facility's fifteen consultations
    warm_many, _page = queries()
    assert cold_many == cold_few < 80
    assert warm_many == warm_few < cold_few


def test_cached_figures_change_with_a_refresh_and_keep_to_their_language(
    worker, officer, login, settings
):
    settings.MONITORING_FACTS_MAX_AGE = 3600
    url = "/monitoring/?place=4&period=2026-09"
    client = login(officer)
    _consults(worker, 5)
    refresh()
    assert '<td class="num">5</td>' in client.get(url).content.decode()
    _consults(worker, 2, start=5)  # not in the figures until the facts are refreshed
    assert '<td class="num">5</td>' in client.get(url).content.decode()
    refresh()
    assert '<td class="num">7</td>' in client.get(url).content.decode()
    vietnamese = _figures(client.get(url))
    client.cookies["django_language"] = "en"
    english = _figures(client.get(url))
    assert "Số ca hội chẩn được gửi" in vietnamese
    assert "Consultations submitted" not in vietnamese
    assert "Consultations submitted" in english
    assert "Số ca hội chẩn được gửi" not in english
    client.cookies["django_language"] = "vi"
    assert "Số ca hội chẩn được gửi" in _figures(client.get(url))


def _figures(response):
    return response.content.decode().split('<ul class="stats kpis">')[1]


def test_exports_carry_the_same_suppressed_numbers(worker, officer, login):
    _consults(worker, 2)  # two patients: suppressed everywhere
    client = login(officer)
    csv = client.get(
        "/monitoring/?place=4&period=2026-09&export=csv&table=comparison"
    ).content.decode("utf-8-sig")
    assert "Trạm Y tế xã Bảo Lâm,<5" in csv
    xlsx = client.get("/monitoring/?place=4&period=2026-09&export=xlsx&table=comparison")
    import io

    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert ("Trạm Y tế xã Bảo Lâm", "<5", "<5") in rows
    assert (
        client.get("/monitoring/?place=4&period=2026-09&export=csv&table=nothing").status_code
        == 404
    )


@pytest.mark.parametrize(
    ("persona", "place", "status"),
    [
        ("officer", "4", 200),
        ("officer", "46", 404),
        ("officer", "network", 404),
        ("donor", "network", 200),
        ("donor", "46", 200),
        ("network_admin", "network", 200),
        ("worker", "4", 404),
        ("outsider", "", 404),
    ],
)
def test_who_sees_which_dashboard(persona, place, status, login, request):
    user = request.getfixturevalue(persona)
    assert login(user).get(f"/monitoring/?place={place}").status_code == status


def _table_rows(page: str, table_id: str) -> list[list[str]]:
    """The body rows of one dashboard table as text cells."""
    table = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append([re.sub(r"<[^>]+>", "", cell).strip() for cell in cells])
    return rows


def test_hub_dashboard_shows_queue_health_and_compliance_per_specialist(
    worker, specialist, coordinator, login
):
    """Six consultations answered by the specialist in September (30, 60, 90, 120, 300 and
    600 minutes against a 4-hour deadline; the first five closed), and three waiting now: one
    assigned, two unassigned of which one overdue."""
    now = timezone.now()
    _consults(worker, 9)
    made = list(Consultation.objects.order_by("id"))
    for n, (c, minutes) in enumerate(zip(made[:6], [30, 60, 90, 120, 300, 600], strict=True)):
        sent = SEPT + timedelta(days=n)
        Consultation.objects.filter(pk=c.pk).update(
            submitted_at=sent,
            deadline_at=sent + timedelta(hours=4),
            first_response_at=sent + timedelta(minutes=minutes),
            answered_at=sent + timedelta(minutes=minutes),
            specialist=specialist,
            status="closed" if n < 5 else "answered",
            closed_at=sent + timedelta(days=1) if n < 5 else None,
            recommended_outcome="manage_locally" if n < 5 else "",
        )
    october = SEPT + timedelta(days=30)
    waiting = [
        (specialist, "assigned", now + timedelta(days=1)),
        (None, "submitted", now - timedelta(hours=1)),
        (None, "submitted", now + timedelta(hours=3)),
    ]
    for c, (who, status, deadline) in zip(made[6:], waiting, strict=True):
        Consultation.objects.filter(pk=c.pk).update(
            submitted_at=october, specialist=who, status=status, deadline_at=deadline
        )
    refresh()

    page = login(coordinator).get("/monitoring/?period=2026-09").content.decode()

    # Open now: the answered one not closed and the three waiting; two without a specialist,
    # one of them past its deadline with no response.
    assert [row[-1] for row in _table_rows(page, "table-queue")] == ["4", "2", "1"]
    # The specialist answered six, four within the deadline (66.7%), with a median first
    # response of 105 minutes (between 90 and 120), shown in hours.
    assert _table_rows(page, "table-specialists") == [
        [specialist.full_name, "6", "66,7%", "1,8 giờ"]
    ]
