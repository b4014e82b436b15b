import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from caunoi.audit.models import AuditEvent
from caunoi.consults.models import OnCallShift

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")

# The last test checks the demo roster of every demo hub.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_network")]


def test_coordinator_puts_a_specialist_on_call_and_removes_the_shift(
    coordinator, specialist, login
):
    client = login(coordinator)
    page = client.get("/consults/roster/")
    assert "Bệnh viện Trung ương Huế" in page.content.decode()
    response = client.post(
        "/consults/roster/",
        {"user": specialist.pk, "starts_at": "01/12/2026 07:00", "ends_at": "01/12/2026 19:00"},
    )
    assert response.status_code == 302
    shift = OnCallShift.objects.get(user=specialist)
    assert shift.hub.name == "Bệnh viện Trung ương Huế"
    assert shift.starts_at.hour == 0  # 07:00 in Hà Nội time is 00:00 UTC
    assert AuditEvent.objects.filter(object_type="consults.oncallshift", action="create").exists()
    client.post("/consults/roster/", {"remove": shift.pk})
    assert not OnCallShift.objects.filter(pk=shift.pk).exists()


def test_a_shift_that_ends_before_it_starts_is_refused(coordinator, specialist, login):
    response = login(coordinator).post(
        "/consults/roster/",
        {"user": specialist.pk, "starts_at": "01/12/2026 19:00", "ends_at": "01/12/2026 07:00"},
    )
    assert response.status_code == 200
    assert not OnCallShift.objects.filter(user=specialist).exists()


@pytest.mark.parametrize("persona", ["specialist", "worker", "officer"])
def test_only_coordinators_have_a_roster(persona, login, django_user_model):
    user = django_user_model.objects.get(username=persona)
    assert login(user).get("/consults/roster/").status_code == 404


def test_the_roster_takes_the_browsers_date_and_time_input_in_vietnam_time(
    coordinator, specialist, login
):
    client = login(coordinator)
    page = client.get("/consults/roster/").content.decode()
    assert '<input type="datetime-local" name="starts_at"' in page
    assert '<input type="datetime-local" name="ends_at"' in page
    client.post(
        "/consults/roster/",
        {"user": specialist.pk, "starts_at": "2026-12-01T07:00", "ends_at": "2026-12-02T07:00"},
    )
    shift = OnCallShift.objects.get(user=specialist)
    assert shift.starts_at == datetime(2026, 12, 1, 7, 0, tzinfo=HANOI)
    assert shift.ends_at == datetime(2026, 12, 2, 7, 0, tzinfo=HANOI)


def test_coordinators_reach_the_roster_from_the_menu_and_the_triage_queue(coordinator, login):
    client = login(coordinator)
    home = client.get("/").content.decode()
    assert re.search(r'<nav aria-label="[^"]+">.*href="/consults/roster/".*</nav>', home, re.S)
    triage = client.get("/consults/?queue=triage").content.decode()
    assert 'href="/consults/roster/" id="roster-link"' in triage


@pytest.mark.parametrize("persona", ["specialist", "worker"])
def test_people_without_a_roster_are_not_offered_its_link(persona, login, django_user_model):
    user = django_user_model.objects.get(username=persona)
    page = login(user).get("/consults/").content.decode()
    assert "/consults/roster/" not in page


@pytest.mark.parametrize("remove", ["abc", "999999999"])
def test_removing_a_shift_that_cannot_be_read_answers_404_and_removes_nothing(
    coordinator, login, remove
):
    before = OnCallShift.objects.count()
    response = login(coordinator).post("/consults/roster/", {"remove": remove})
    assert response.status_code == 404
    assert OnCallShift.objects.count() == before
