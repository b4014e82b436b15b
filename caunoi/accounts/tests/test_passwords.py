"""Forgotten and changed passwords, with Django's own views: the reset link travels through a
real SMTP server, works once, and the new password signs in; unknown addresses get the same
answer and no mail; every change is audited; bad input changes nothing."""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from django.test import Client

from caunoi.accounts.throttle import KNOWN_BROWSER_COOKIE, login_throttle_reset
from caunoi.audit.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Cau-noi 2026 mới"
LINK = re.compile(r"(https?://\S+/accounts/password/reset/\S+/\S+/)")


@pytest.fixture(autouse=True)
def _fresh_counters():
    login_throttle_reset("worker")
    yield
    login_throttle_reset("worker")


def found_link(body: str) -> str:
    found = LINK.search(body)
    assert found is not None, body
    return found.group(1)


def english() -> Client:
    return Client(headers={"Accept-Language": "en"})


def reset_request(client: Client, email: str):
    return client.post("/accounts/password/reset/", {"email": email})


def test_the_log_in_page_offers_a_password_reset(client):
    page = client.get("/accounts/login/").content.decode()

    assert 'href="/accounts/password/reset/"' in page


def test_reset_link_travels_by_email_and_the_new_password_signs_in(smtp, settings, worker):
    settings.SITE_URL = "https://caunoi.example.vn"
    client = english()

    answer = reset_request(client, "worker@test.caunoi.vn")

    assert answer.status_code == 302
    assert answer["Location"] == "/accounts/password/reset/sent/"
    assert len(smtp.messages) == 1
    recipients, message = smtp.messages[0]
    assert recipients == ["worker@test.caunoi.vn"]
    body = message.get_body().get_content()
    link = found_link(body)
    assert link.startswith("https://caunoi.example.vn/accounts/password/reset/")
    assert "worker" in body  # the username, which people forget too

    path = link.removeprefix("https://caunoi.example.vn")
    form_url = client.get(path)["Location"]  # Django moves the token into the session
    form = client.get(form_url)
    assert "Choose a new password" in form.content.decode()
    done = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert done["Location"] == "/accounts/password/reset/done/"
    worker.refresh_from_db()
    assert worker.check_password(NEW_PASSWORD)
    row = AuditEvent.objects.filter(action=AuditAction.UPDATE, object_id=str(worker.public_id))
    assert row.latest("id").detail == {"fields": ["password"], "how": "reset"}
    signed = english().post("/accounts/login/", {"username": "worker", "password": NEW_PASSWORD})
    assert signed.status_code == 302
    # The link works once.
    assert "This link does not work" in client.get(path, follow=True).content.decode()


def test_the_email_is_written_in_the_persons_language(smtp, worker):
    worker.language = "vi"
    worker.save(update_fields=["language"])

    reset_request(english(), "worker@test.caunoi.vn")

    body = smtp.messages[0][1].get_body().get_content()
    assert "hệ thống y tế công lập Việt Nam" in body


def test_unknown_address_gets_the_same_answer_and_no_mail(smtp):
    known = reset_request(english(), "worker@test.caunoi.vn")
    unknown = reset_request(english(), "nobody@example.org")

    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"]
    assert [to for to, _m in smtp.messages] == [["worker@test.caunoi.vn"]]


def test_a_malformed_address_gets_a_message_and_sends_nothing(smtp):
    response = reset_request(english(), "not an address")

    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert smtp.messages == []


def test_a_tampered_link_is_refused_and_changes_nothing(worker):
    response = english().get("/accounts/password/reset/MQ/abc-123/", follow=True)

    assert "This link does not work" in response.content.decode()
    worker.refresh_from_db()
    assert worker.check_password("caunoi-demo")


def test_a_reset_lifts_the_lock_out_and_remembers_the_browser(smtp, settings, worker):
    settings.LOGIN_THROTTLE_FREE_FAILURES = 1000
    for _ in range(10):
        english().post("/accounts/login/", {"username": "worker", "password": "x"})
    assert AccessAttempt.objects.filter(username="worker").exists()
    client = english()
    reset_request(client, "worker@test.caunoi.vn")
    link = found_link(smtp.messages[0][1].get_body().get_content())
    form_url = client.get(link.split("127.0.0.1:8000", 1)[1])["Location"]

    done = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert not AccessAttempt.objects.filter(username="worker").exists()
    assert KNOWN_BROWSER_COOKIE in done.cookies
    after = english().post("/accounts/login/", {"username": "worker", "password": NEW_PASSWORD})
    assert after.status_code == 302


def test_password_change_needs_the_old_password_and_is_audited(login, worker):
    client = login(worker)
    page = client.get("/accounts/profile/").content.decode()
    assert 'href="/accounts/password/change/"' in page

    response = client.post(
        "/accounts/password/change/",
        {
            "old_password": "caunoi-demo",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response["Location"] == "/accounts/password/change/done/"
    worker.refresh_from_db()
    assert worker.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.filter(action=AuditAction.UPDATE, actor=worker).latest("id")
    assert event.detail == {"fields": ["password"], "how": "change"}
    # Still signed in on this computer.
    assert client.get("/accounts/profile/").status_code == 200


@pytest.mark.parametrize(
    ("old", "new1", "new2", "message"),
    [
        ("wrong", NEW_PASSWORD, NEW_PASSWORD, "Your old password was entered incorrectly."),
        ("caunoi-demo", NEW_PASSWORD, "something else", "The two password fields didn"),
        ("caunoi-demo", "12345678", "12345678", "This password is entirely numeric."),
        ("caunoi-demo", "", "", "This field is required."),
    ],
)
def test_bad_password_change_says_why_and_changes_nothing(login, worker, old, new1, new2, message):
    worker.language = "en"
    worker.save(update_fields=["language"])
    client = login(worker)
    before = AuditEvent.objects.count()

    response = client.post(
        "/accounts/password/change/",
        {"old_password": old, "new_password1": new1, "new_password2": new2},
    )

    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    worker.refresh_from_db()
    assert worker.check_password("caunoi-demo")
    assert AuditEvent.objects.count() == before


def test_password_change_page_is_in_vietnamese(login, worker):
    page = login(worker).get("/accounts/password/change/").content.decode()

    assert '<html lang="vi">' in page
    assert "Mật khẩu cũ" in page  # Django's own Vietnamese catalogue for its form
