"""The bell in the page header, the notification list, and marking notifications read."""

import re
import uuid

import pytest
from django.utils import timezone

from caunoi.consults.services import ConsultationInput, consultation_submit
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.notifications.models import Notification
from caunoi.patients.tests.factories import make_patient

pytestmark = pytest.mark.django_db

BELL = re.compile(r'<span id="bell-count" class="count"( hidden)?>(\d+)</span>')


def _bell(response):
    match = BELL.search(response.content.decode())
    assert match, "no bell in the page header"
    hidden, number = match.groups()
    return 0 if hidden else int(number)


def _note(user, title, *, read=False, url="/consults/"):
    return Notification.objects.create(
        user=user,
        kind="consult.message",
        title=title,
        body=f"{title} (nội dung)",
        url=url,
        read_at=timezone.now() if read else None,
    )


@pytest.fixture
def notes(worker, specialist):
    return {
        "a": _note(worker, "Tin một", url="/consults/?queue=mine"),
        "b": _note(worker, "Tin hai"),
        "c": _note(worker, "Tin đã đọc", read=True),
        "other": _note(specialist, "Tin của người khác"),
    }


def _unread(user):
    return set(Notification.objects.unread().filter(user=user).values_list("title", flat=True))


def test_the_bell_counts_my_unread_notifications_on_every_page(worker, notes, login):
    client = login(worker)
    for url in ("/", "/patients/", "/consults/", "/notifications/"):
        assert _bell(client.get(url)) == 2, url


def test_the_bell_stops_counting_at_99_plus(worker, login):
    # A specialist who never opens the list collects thousands: the count stops at 100.
    Notification.objects.bulk_create(
        Notification(user=worker, kind="consult.message", title=f"Tin {i}", url="/")
        for i in range(120)
    )
    html = login(worker).get("/").content.decode()
    assert '<span id="bell-count" class="count">99+</span>' in html
    Notification.objects.filter(
        pk__in=Notification.objects.filter(user=worker).order_by("id").values("pk")[:22]
    ).update(read_at=timezone.now())
    assert _bell(login(worker).get("/")) == 98


def test_the_bell_is_hidden_when_nothing_is_unread(outsider, login):
    html = login(outsider).get("/notifications/").content.decode()
    assert '<span id="bell-count" class="count" hidden>0</span>' in html


def test_a_new_consult_rings_the_hub_specialists_bell(worker, specialist, login):
    client = login(specialist)
    before = _bell(client.get("/"))
    consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(
            patient=make_patient(worker), specialty=internal_medicine(), summary=summary()
        ),
    )
    assert _bell(client.get("/")) == before + 1
    assert _bell(login(worker).get("/")) == 0  # the sender is not notified of their own act


def test_the_list_shows_my_notifications_newest_first_and_nobody_elses(worker, notes, login):
    response = login(worker).get("/notifications/")
    shown = [n.title for n in response.context["page"].object_list]
    assert shown == ["Tin đã đọc", "Tin hai", "Tin một"]
    html = response.content.decode()
    assert "Tin của người khác" not in html
    assert html.count('<li class="unread">') == 2
    assert f'value="{notes["a"].public_id}"' in html
    assert f'value="{notes["other"].public_id}"' not in html


def test_opening_one_marks_it_read_and_goes_to_its_page(worker, notes, login):
    client = login(worker)
    response = client.post(
        "/notifications/read/", {"id": str(notes["a"].public_id), "next": notes["a"].url}
    )
    assert response.status_code == 302
    assert response["Location"] == "/consults/?queue=mine"
    assert _unread(worker) == {"Tin hai"}
    assert _bell(client.get("/")) == 1


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "http://testserver.evil.example/",
        "javascript:alert(1)",
        "\\\\evil.example",
    ],
)
def test_an_external_next_is_ignored(worker, notes, login, target):
    response = login(worker).post(
        "/notifications/read/", {"id": str(notes["a"].public_id), "next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == "/notifications/"
    assert _unread(worker) == {"Tin hai"}


def test_without_next_it_returns_to_the_list(worker, notes, login):
    response = login(worker).post("/notifications/read/", {"id": str(notes["b"].public_id)})
    assert response["Location"] == "/notifications/"
    assert _unread(worker) == {"Tin một"}


def test_mark_all_read_clears_mine_and_leaves_others_alone(worker, specialist, notes, login):
    client = login(worker)
    response = client.post("/notifications/read/")
    assert response["Location"] == "/notifications/"
    assert _unread(worker) == set()
    assert _unread(specialist) == {"Tin của người khác"}
    assert _bell(client.get("/")) == 0
    notes["c"].refresh_from_db()
    assert notes["c"].read_at is not None  # already read: left as it was, still read


def test_marking_someone_elses_notification_changes_nothing(worker, specialist, notes, login):
    response = login(worker).post(
        "/notifications/read/", {"id": str(notes["other"].public_id), "next": "/"}
    )
    assert response.status_code == 302
    notes["other"].refresh_from_db()
    assert notes["other"].read_at is None
    assert _unread(worker) == {"Tin một", "Tin hai"}
    assert _unread(specialist) == {"Tin của người khác"}


def test_an_unknown_id_changes_nothing(worker, notes, login):
    login(worker).post("/notifications/read/", {"id": str(uuid.uuid4())})
    assert _unread(worker) == {"Tin một", "Tin hai"}


def test_a_malformed_id_changes_nothing_and_does_not_crash(worker, notes, login):
    response = login(worker).post("/notifications/read/", {"id": "not-a-uuid"})
    assert response.status_code in (302, 400)
    assert _unread(worker) == {"Tin một", "Tin hai"}


def test_marking_read_needs_a_post(worker, notes, login):
    response = login(worker).get("/notifications/read/", {"id": str(notes["a"].public_id)})
    assert response.status_code == 405
    assert _unread(worker) == {"Tin một", "Tin hai"}


def test_anonymous_visitors_are_sent_to_log_in(client, notes):
    assert client.get("/notifications/")["Location"].startswith("/accounts/login/")
    response = client.post("/notifications/read/")
    assert response["Location"].startswith("/accounts/login/")
    assert Notification.objects.unread().count() >= 3
    notes["a"].refresh_from_db()
    assert notes["a"].read_at is None
