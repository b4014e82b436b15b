"""Signing in under attack: the lock-out holds one username at one address, a guess spread over
many addresses is slowed down per username, a browser that signed in before is not slowed, and
unknown usernames get exactly the answers known ones get."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from caunoi.accounts import throttle
from caunoi.accounts.throttle import login_throttle_reset, throttle_delay

pytestmark = pytest.mark.django_db

PASSWORD = "caunoi-demo"
NAMES = ("worker", "specialist", "ghost-nobody")
# The page's error summary (core/_error_summary.html): one item per message.
SUMMARY = re.compile(r'<div class="error-summary"[^>]*>(.*?)</div>', re.S)


@pytest.fixture(autouse=True)
def _fresh_counters():
    for name in NAMES:
        login_throttle_reset(name)
    yield
    for name in NAMES:
        login_throttle_reset(name)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The slow-down's clock, standing still unless a test moves it."""
    frozen = Clock()
    monkeypatch.setattr(throttle, "_now", frozen)
    return frozen


def attempt(username: str, password: str, address: str, client: Client | None = None):
    client = client or Client(headers={"Accept-Language": "en"})
    response = client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )
    return client, response


def errors(response) -> list[str]:
    summary = SUMMARY.search(response.content.decode())
    items = re.findall(r"<li>([^<]+)</li>", summary.group(1)) if summary else []
    return [html.unescape(e) for e in items]


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- lock-out by username and address ------------------------------------------------------


def test_ten_failures_lock_the_username_out_only_from_that_address(settings):
    settings.LOGIN_THROTTLE_FREE_FAILURES = 1000  # only the lock-out here
    for _ in range(10):
        attempt("worker", "wrong", "198.51.100.7")

    locked_client, locked = attempt("worker", PASSWORD, "198.51.100.7")
    elsewhere, response = attempt("worker", PASSWORD, "203.0.113.20")

    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.content.decode()
    assert not signed_in(locked_client)
    # The owner at another address is not locked out by someone else's guessing.
    assert response.status_code == 302
    assert signed_in(elsewhere)


def test_the_lock_out_page_is_in_vietnamese_with_a_way_out(settings):
    settings.LOGIN_THROTTLE_FREE_FAILURES = 1000
    for _ in range(10):
        attempt("worker", "wrong", "198.51.100.7")

    page = Client().post(
        "/accounts/login/", {"username": "worker", "password": "x"}, REMOTE_ADDR="198.51.100.7"
    )

    html = page.content.decode()
    assert page.status_code == 429
    assert '<html lang="vi">' in html
    assert "Đăng nhập sai quá nhiều lần" in html
    assert 'href="/accounts/password/reset/"' in html


def test_an_unknown_username_is_locked_out_exactly_like_a_known_one(settings):
    settings.LOGIN_THROTTLE_FREE_FAILURES = 1000
    answers = {}
    for name in ("worker", "ghost-nobody"):
        statuses = [attempt(name, "wrong", "198.51.100.8")[1].status_code for _ in range(11)]
        answers[name] = statuses

    assert answers["worker"] == answers["ghost-nobody"] == [200] * 9 + [429, 429]


# --- the per-username slow-down --------------------------------------------------------------


def test_delay_doubles_after_the_free_failures_up_to_the_maximum(settings):
    settings.LOGIN_THROTTLE_FREE_FAILURES = 5
    settings.LOGIN_THROTTLE_MAX_SECONDS = 300

    assert [throttle_delay(n) for n in (0, 4, 5, 6, 7, 10)] == [0, 0, 1, 2, 4, 32]
    assert throttle_delay(14) == 300
    assert throttle_delay(10_000) == 300


def test_guessing_from_many_addresses_is_slowed_down_for_that_username(settings, clock):
    settings.LOGIN_THROTTLE_FREE_FAILURES = 5
    for n in range(5):
        attempt("worker", "wrong", f"203.0.113.{n + 1}")
    clock.now += 1
    attempt("worker", "wrong", "203.0.113.6")  # the one attempt let through after a second

    # Even the right password is refused, unchecked, until the wait is over.
    client, response = attempt("worker", PASSWORD, "203.0.113.50")

    assert response.status_code == 200
    assert not signed_in(client)
    assert errors(response) == [
        "Too many failed log-ins for this account. Wait 2 seconds and try again, or reset "
        "your password."
    ]


def test_after_the_wait_the_right_password_signs_in(settings, clock):
    settings.LOGIN_THROTTLE_FREE_FAILURES = 5
    for n in range(5):
        attempt("worker", "wrong", f"203.0.113.{n + 1}")
    clock.now += 1
    attempt("worker", "wrong", "203.0.113.6")
    clock.now += 2

    client, response = attempt("worker", PASSWORD, "203.0.113.50")

    assert response.status_code == 302
    assert signed_in(client)


def test_refused_attempts_do_not_lengthen_the_wait(settings, clock):
    settings.LOGIN_THROTTLE_FREE_FAILURES = 5
    for n in range(5):
        attempt("worker", "wrong", f"203.0.113.{n + 1}")
    clock.now += 1
    attempt("worker", "wrong", "203.0.113.6")

    for _ in range(5):
        attempt("worker", "wrong", "203.0.113.60")

    assert errors(attempt("worker", "wrong", "203.0.113.61")[1]) == [
        "Too many failed log-ins for this account. Wait 2 seconds and try again, or reset "
        "your password."
    ]


def test_of_simultaneous_attempts_after_the_wait_only_one_is_checked(settings, clock):
    settings.LOGIN_THROTTLE_FREE_FAILURES = 2
    throttle.login_failure_record("ghost-nobody")
    throttle.login_failure_record("ghost-nobody")
    clock.now += 1

    waits = [throttle.login_attempt_wait("ghost-nobody") for _ in range(3)]

    assert waits[0] == 0
    assert waits[1] > 0
    assert waits[2] > 0


def test_an_unknown_username_is_slowed_down_with_the_same_words(settings, clock):
    settings.LOGIN_THROTTLE_FREE_FAILURES = 3
    answers = {}
    for name in ("worker", "ghost-nobody"):
        answers[name] = [errors(attempt(name, "wrong", "203.0.113.9")[1]) for _ in range(6)]

    assert answers["worker"] == answers["ghost-nobody"]
    assert answers["worker"][0] == ["Your username and password didn't match. Please try again."]
    assert "Wait" in answers["worker"][-1][0]


def test_a_browser_that_signed_in_before_is_not_slowed_down(settings, clock):
    settings.LOGIN_THROTTLE_FREE_FAILURES = 5
    own, first = attempt("worker", PASSWORD, "198.51.100.30")
    assert first.status_code == 302
    own.post("/accounts/logout/")
    for n in range(8):
        attempt("worker", "wrong", f"203.0.113.{n + 1}")

    _client, again = attempt("worker", PASSWORD, "198.51.100.30", client=own)

    assert again.status_code == 302
    assert signed_in(own)


def test_the_remembered_browser_cookie_is_signed_and_names_no_one(settings, clock):
    settings.LOGIN_THROTTLE_FREE_FAILURES = 5
    own, _ = attempt("worker", PASSWORD, "198.51.100.30")
    cookie = own.cookies[throttle.KNOWN_BROWSER_COOKIE]
    own.post("/accounts/logout/")
    for n in range(8):
        attempt("worker", "wrong", f"203.0.113.{n + 1}")

    forged = Client(headers={"Accept-Language": "en"})
    forged.cookies[throttle.KNOWN_BROWSER_COOKIE] = cookie.value[:-2] + "xx"
    _client, response = attempt("worker", PASSWORD, "203.0.113.70", client=forged)

    assert "worker" not in cookie.value
    assert cookie["httponly"]
    assert not signed_in(forged)
    assert "Wait" in errors(response)[0]


def test_the_admin_log_in_page_leads_to_the_one_log_in_page(client):
    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/"
