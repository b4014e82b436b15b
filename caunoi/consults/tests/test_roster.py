import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from caunoi.audit.models import AuditEvent
from caunoi.consults.demo import demo_roster_load
from caunoi.consults.models import OnCallShift
from caunoi.network.models import Facility

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


def _roster() -> list[tuple[str, str, str, datetime]]:
    return list(
        OnCallShift.objects.order_by("hub__code", "starts_at", "specialty__code").values_list(
            "hub__code", "specialty__code", "user__username", "starts_at"
        )
    )


def test_the_demo_gives_every_hub_a_week_of_on_call_shifts_the_same_each_run(
    coordinator, specialist, login
):
    made = demo_roster_load()
    assert made > 0
    hue = Facility.objects.get(name="Bệnh viện Trung ương Huế")
    now = timezone.now()
    # Someone is on call right now for internal medicine at the persona's hub, in 24-hour
    # shifts handed over at 07:00, and the week ahead is covered.
    current = OnCallShift.objects.at(now).filter(hub=hue, specialty__code="internal-medicine")
    assert current.count() == 1
    shifts = OnCallShift.objects.filter(hub=hue)
    assert {timezone.localtime(s.starts_at).hour for s in shifts} == {7}
    assert {s.ends_at - s.starts_at for s in shifts} == {timedelta(hours=24)}
    assert max(s.ends_at for s in shifts) >= now + timedelta(days=6)
    # Specialists take turns; the persona is among them.
    people = set(
        shifts.filter(specialty__code="internal-medicine").values_list("user__username", flat=True)
    )
    assert "specialist" in people
    assert len(people) >= 2
    # Every hub of the demo with specialists has its roster, kept by its coordinator.
    hubs_with_staff = set(
        Facility.objects.filter(
            is_hub=True, memberships__role="specialist", memberships__is_active=True
        ).values_list("pk", flat=True)
    )
    assert set(OnCallShift.objects.values_list("hub_id", flat=True)) == hubs_with_staff
    assert AuditEvent.objects.filter(object_type="consults.oncallshift", actor=coordinator).exists()
    # The coordinator finds it on her page.
    page = login(coordinator).get("/consults/roster/").content.decode()
    assert "Nobody is on call" not in page
    assert specialist.full_name in page
    # Deterministic and idempotent.
    first = _roster()
    assert demo_roster_load() == 0
    OnCallShift.objects.all().delete()
    assert demo_roster_load() == made
    assert _roster() == first
