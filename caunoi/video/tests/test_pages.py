"""The video pages a person finds their way through: the list (a way to start a case conference,
an empty state that says how to call), the invite list (who each person is, in a fixed number
of queries, by the one invite rule), the browser's date and time input, and what a closed
consultation offers instead of a video call."""

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.consults.access import case_invite_candidates
from caunoi.consults.models import Consultation
from caunoi.consults.services import (
    ConsultationInput,
    advice_record,
    consultation_claim,
    consultation_close,
    consultation_submit,
)
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.network.models import Facility, Membership, Profession, Role
from caunoi.patients.tests.factories import make_patient
from caunoi.video.models import VideoSession

pytestmark = pytest.mark.django_db

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def consult(worker):
    patient = make_patient(worker, name="Lù Thị Dính")
    return consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(patient=patient, specialty=internal_medicine(), summary=summary()),
    )[0]


@pytest.fixture
def closed_consult(worker, specialist, consult):
    consultation_claim(consultation=consult, actor=specialist)
    advice_record(
        consultation=Consultation.objects.get(pk=consult.pk),
        actor=specialist,
        advice="Theo dõi huyết áp hằng ngày.",
        outcome="manage_locally",
        diagnoses=[],
    )
    return consultation_close(
        consultation=Consultation.objects.get(pk=consult.pk),
        actor=worker,
        action_taken="Đã hướng dẫn người bệnh.",
    )


def _english(login, user):
    """A client for ``user`` reading in English (a signed-in person's own language wins)."""
    user.language = "en"
    user.save(update_fields=["language"])
    return login(user)


def _invitees(html: str) -> dict[str, str]:
    """The invite list as {name: the text under it}."""
    rows = re.findall(
        r'<li data-search="([^"]*)"><label class="check"[^>]*>.*?<strong>(.*?)</strong>(.*?)</label>',
        html,
        re.S,
    )
    return {name: re.sub(r"<[^>]+>", " ", rest) for _search, name, rest in rows}


# --- the list ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["specialist", "coordinator"])
def test_hub_staff_find_a_button_to_start_a_case_conference(persona, login):
    page = _english(login, User.objects.get(username=persona)).get("/video/").content.decode()
    assert re.search(r'<a class="button primary" href="/video/new/" id="new-conference">', page)
    assert "Start a case conference" in page


def test_a_worker_has_no_conference_button_and_an_empty_list_says_how_to_call(worker, login):
    page = _english(login, worker).get("/video/").content.decode()
    assert 'id="new-conference"' not in page
    assert "You have no video sessions yet" in page
    assert "open the consultation and press “Video call about this case”" in page
    assert 'href="/consults/"' in page
    # And what the button would open is refused to her, as before.
    assert login(worker).get("/video/new/").status_code == 404


def test_an_empty_list_tells_hub_staff_about_conferences(coordinator, login):
    page = _english(login, coordinator).get("/video/").content.decode()
    assert "start a case conference" in page
    assert "You have no video sessions yet" in page


# --- the invite list -----------------------------------------------------------------------------


def test_the_invite_list_says_who_each_person_is(specialist, worker, consult, login):
    page = _english(login, specialist).get(f"/video/new/?consult={consult.public_id}")
    rows = _invitees(page.content.decode())
    assert "grassroots health worker" in rows[worker.full_name]
    assert "Trạm Y tế xã Bảo Lâm" in rows[worker.full_name]
    colleague = (
        Membership.objects.active()
        .filter(facility=consult.hub, role=Role.SPECIALIST, specialties__code="cardiology")
        .exclude(user=specialist)
        .select_related("user")
        .first()
    )
    assert colleague is not None
    line = rows[colleague.user.full_name]
    assert "hub specialist" in line
    assert "Bệnh viện Trung ương Huế" in line
    assert "Cardiology" in line
    # The one asking is not offered to themself.
    assert specialist.full_name not in rows
    # The people of the case first: who asked, then her station, then the hub.
    lines = list(rows.values())
    assert next(iter(rows)) == worker.full_name
    station = [i for i, line in enumerate(lines) if "Trạm Y tế xã Bảo Lâm" in line]
    hub = [i for i, line in enumerate(lines) if "Bệnh viện Trung ương Huế" in line]
    assert len(station) >= 2
    assert max(station) < min(hub)


def test_the_invite_list_carries_folded_words_for_the_filter(specialist, worker, consult, login):
    html = (
        _english(login, specialist).get(f"/video/new/?consult={consult.public_id}").content.decode()
    )
    searches = {
        name: search
        for search, name in re.findall(
            r'<li data-search="([^"]*)"><label[^>]*>.*?<strong>(.*?)</strong>', html, re.S
        )
    }
    assert "sung thi mai" in searches[worker.full_name]
    assert "tram y te xa bao lam" in searches[worker.full_name]
    cardiologists = [s for s in searches.values() if "tim mach" in s and "cardiology" in s]
    assert cardiologists, "specialties are searchable in Vietnamese and English"
    assert 'id="invite-search"' in html
    assert "/static/video/invite.js" in html


def test_the_invite_list_follows_the_one_invite_rule(specialist, worker, consult, login):
    page = login(specialist).get(f"/video/new/?consult={consult.public_id}")
    offered = {
        int(v) for v in re.findall(r'name="participants" value="(\d+)"', page.content.decode())
    }
    allowed = set(case_invite_candidates(specialist, consult).values_list("pk", flat=True))
    assert offered == allowed - {specialist.pk}
    # The requesting side brings in nobody from outside the case.
    page = login(worker).get(f"/video/new/?consult={consult.public_id}")
    offered = {
        int(v) for v in re.findall(r'name="participants" value="(\d+)"', page.content.decode())
    }
    assert offered == set(case_invite_candidates(worker, consult).values_list("pk", flat=True)) - {
        worker.pk
    }
    outsiders = User.objects.filter(memberships__facility__name="Bệnh viện Bạch Mai")
    assert not offered & set(outsiders.values_list("pk", flat=True))


def _count_queries(client, url) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return len(queries), len(re.findall(r'name="participants"', response.content.decode()))


def test_the_invite_list_takes_the_same_queries_for_few_people_and_many(specialist, login):
    client = login(specialist)
    client.get("/video/new/")  # session and caches warm
    before, listed = _count_queries(client, "/video/new/")
    hub = Facility.objects.get(name="Bệnh viện Trung ương Huế")
    for i in range(12):
        user = User.objects.create_user(
            username=f"extra-{i}", full_name=f"Bác sĩ Thêm {i}", password="x"
        )
        m = Membership.objects.create(
            user=user, facility=hub, role=Role.SPECIALIST, profession=Profession.DOCTOR
        )
        m.specialties.add(internal_medicine())
    after, listed_after = _count_queries(client, "/video/new/")
    assert listed_after == listed + 12
    assert after == before


# --- dates and times -----------------------------------------------------------------------------


def test_the_time_is_the_browsers_date_and_time_input_read_in_vietnam_time(
    specialist, worker, consult, login
):
    client = login(specialist)
    page = client.get(f"/video/new/?consult={consult.public_id}").content.decode()
    field = re.search(r'<input type="datetime-local" name="scheduled_at" value="([^"]+)"', page)
    assert field is not None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", field.group(1))
    day = timezone.localdate() + timedelta(days=3)
    response = client.post(
        "/video/new/",
        {
            "consult": str(consult.public_id),
            "title": "Hội chẩn",
            "scheduled_at": f"{day:%Y-%m-%d}T08:30",
            "duration_minutes": "30",
            "participants": [str(worker.pk)],
            "schedule": "1",
        },
    )
    assert response.status_code == 302
    session = VideoSession.objects.get(consultation=consult)
    assert session.scheduled_at == datetime(day.year, day.month, day.day, 8, 30, tzinfo=HANOI)
    assert session.scheduled_at.astimezone(ZoneInfo("UTC")).hour == 1


# --- a closed consultation -----------------------------------------------------------------------


def test_a_closed_consultation_offers_a_new_one_instead_of_a_video_call(
    worker, closed_consult, login
):
    page = _english(login, worker).get(closed_consult.get_absolute_url()).content.decode()
    assert 'id="video-call"' not in page
    assert "This consultation is closed" in page
    link = re.search(r'<a class="button primary" href="([^"]+)" id="ask-again">', page)
    assert link is not None
    assert link.group(1) == f"/consults/new/?patient={closed_consult.patient.public_id}"
    assert login(worker).get(link.group(1)).status_code == 200
    assert 'id="refer"' in page


def test_the_hub_side_of_a_closed_consultation_is_told_who_asks_again(
    specialist, closed_consult, login
):
    page = _english(login, specialist).get(closed_consult.get_absolute_url()).content.decode()
    assert 'id="video-call"' not in page
    assert 'id="ask-again"' not in page
    assert "the station sends a new consultation" in page


def test_an_old_video_link_of_a_closed_consultation_leads_to_its_page(
    worker, closed_consult, login
):
    client = _english(login, worker)
    response = client.get(f"/video/new/?consult={closed_consult.public_id}")
    assert response.status_code == 302
    assert response["Location"] == closed_consult.get_absolute_url()
    page = client.get(response["Location"]).content.decode()
    assert "This consultation is closed; open a new one to call about it." in page
    assert not VideoSession.objects.filter(consultation=closed_consult).exists()


def test_an_open_consultation_keeps_its_video_button(worker, consult, login):
    page = _english(login, worker).get(consult.get_absolute_url()).content.decode()
    assert f'href="/video/new/?consult={consult.public_id}" id="video-call"' in page
    assert 'id="closed-next"' not in page
