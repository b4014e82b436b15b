"""Two-factor sign-in: roles listed in OTP_REQUIRED_ROLES must enrol an authenticator app (QR
code, first code, ten recovery codes shown once) before reaching anything; whoever has an app
gives a code after the password; bearer tokens are not held up; every change is audited."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from caunoi.accounts.throttle import login_throttle_reset
from caunoi.audit.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

ROLES = ["admin", "coordinator", "specialist", "officer"]
CODES = re.compile(r'<li><code class="token">([a-z2-7]{8})</code></li>')
ENROL = "/accounts/two-factor/enrol/"
VERIFY = "/accounts/two-factor/verify/"


@pytest.fixture
def required(settings):
    settings.OTP_REQUIRED_ROLES = ROLES


@pytest.fixture(autouse=True)
def _fresh_counters():
    for name in ("coordinator", "specialist"):
        login_throttle_reset(name)


def code_for(device: TOTPDevice, later: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time += later * device.step
    return f"{totp.token():06d}"


def a_wrong_code(device: TOTPDevice) -> str:
    right = {code_for(device, step) for step in (-1, 0, 1)}
    return next(c for c in ("111111", "222222", "333333", "444444") if c not in right)


def english(user, login) -> Client:
    user.language = "en"
    user.save(update_fields=["language"])
    return login(user)


def enrolled(user) -> TOTPDevice:
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    static = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    StaticToken.objects.create(device=static, token="abcdefgh")
    return device


def password_login(username: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": "caunoi-demo"})
    assert response.status_code == 302
    return client


# --- who is held to it ---------------------------------------------------------------------


def test_a_required_role_without_an_app_is_sent_to_enrolment_from_every_page(
    required, login, specialist
):
    client = login(specialist)

    for url in ("/", "/consults/", "/accounts/profile/", "/admin/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(f"{ENROL}?next=")
    assert client.get(ENROL).status_code == 200


def test_the_api_answers_403_in_its_error_shape_to_an_unfinished_session(
    required, login, specialist
):
    response = english(specialist, login).get("/api/facilities")

    assert response.status_code == 403
    assert response.json() == {
        "code": "forbidden",
        "message": "Finish signing in with your second factor on the web page first.",
        "errors": [],
    }


def test_a_bearer_token_is_not_held_up(required, api_client, specialist):
    response = api_client(specialist).get("/api/facilities", {"limit": 1})

    assert response.status_code == 200
    assert response.json()["count"] > 0


def test_an_unfinished_session_does_not_stand_in_for_a_wrong_token(required, login, specialist):
    client = login(specialist)

    response = client.get("/api/facilities", headers={"Authorization": "Bearer cn_nothing"})

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_roles_not_listed_are_not_asked(required, login, worker):
    response = login(worker).get("/")

    assert response.status_code == 200
    assert "Sùng Thị Mai" in response.content.decode()


def test_nobody_is_asked_when_the_list_is_empty(settings, login, specialist):
    settings.OTP_REQUIRED_ROLES = []

    assert login(specialist).get("/consults/").status_code == 200


def test_superusers_are_held_to_it_whenever_the_list_is_not_empty(required, login, outsider):
    outsider.is_superuser = True
    outsider.is_staff = True
    outsider.save(update_fields=["is_superuser", "is_staff"])

    response = login(outsider).get("/admin/")

    assert response["Location"] == f"{ENROL}?next=/admin/"


def test_an_unknown_role_in_the_setting_stops_the_checks(settings):
    settings.OTP_REQUIRED_ROLES = ["admin", "specalist"]

    with pytest.raises(SystemCheckError, match="specalist"):
        call_command("check")


# --- enrolment -------------------------------------------------------------------------------


def test_enrolment_shows_a_qr_code_confirms_with_a_first_code_and_shows_codes_once(
    required, login, specialist
):
    client = english(specialist, login)

    page = client.get(f"{ENROL}?next=/consults/").content.decode()
    device = TOTPDevice.objects.get(user=specialist, confirmed=False)
    assert '<img class="qr" src="data:image/svg+xml' in page
    key = re.search(r'<code class="token" id="totp-secret">([A-Z2-7 ]+)</code>', page)
    assert key is not None
    assert len(key.group(1).replace(" ", "")) == 32
    # The same device on a second visit: the QR code already scanned stays valid.
    client.get(ENROL)
    assert TOTPDevice.objects.filter(user=specialist).count() == 1

    confirmed = client.post(ENROL, {"code": code_for(device), "next": "/consults/"})

    assert confirmed["Location"] == "/accounts/two-factor/codes/"
    codes_page = client.get("/accounts/two-factor/codes/").content.decode()
    codes = CODES.findall(codes_page)
    assert len(set(codes)) == 10
    assert 'href="/consults/"' in codes_page
    assert sorted(codes) == sorted(
        StaticToken.objects.filter(device__user=specialist).values_list("token", flat=True)
    )
    assert client.get("/accounts/two-factor/codes/")["Location"] == "/accounts/two-factor/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/consults/").status_code == 200
    event = AuditEvent.objects.filter(action=AuditAction.UPDATE, actor=specialist).latest("id")
    assert event.detail == {"two_factor": "enrolled"}


@pytest.mark.parametrize("typed", ["wrong", "", "12345678901234567890123456789012345"])
def test_a_wrong_first_code_says_so_and_changes_nothing(required, login, specialist, typed):
    client = english(specialist, login)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=specialist)
    before = AuditEvent.objects.count()

    response = client.post(ENROL, {"code": typed if typed != "wrong" else a_wrong_code(device)})

    assert response.status_code == 400
    assert 'id="id_code_error"' in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert not StaticDevice.objects.filter(user=specialist).exists()
    assert AuditEvent.objects.count() == before
    assert client.get("/consults/")["Location"].startswith(ENROL)


def test_someone_with_only_the_password_cannot_add_an_app_of_their_own(coordinator):
    TOTPDevice.objects.filter(user=coordinator).delete()
    static = StaticDevice.objects.create(user=coordinator, name="recovery codes", confirmed=True)
    StaticToken.objects.create(device=static, token="abcdefgh")
    client = password_login("coordinator")

    response = client.get(ENROL)

    assert response["Location"].startswith(VERIFY)
    assert not TOTPDevice.objects.filter(user=coordinator).exists()


# --- signing in with a second factor ---------------------------------------------------------


def test_after_the_password_the_code_is_asked_and_opens_the_session(coordinator):
    device = enrolled(coordinator)
    client = password_login("coordinator")

    held = client.get("/consults/")
    assert held["Location"] == f"{VERIFY}?next=/consults/"
    response = client.post(VERIFY, {"code": code_for(device), "next": "/consults/"})

    assert response["Location"] == "/consults/"
    assert client.get("/consults/").status_code == 200


def test_a_code_typed_with_a_space_is_accepted(coordinator):
    device = enrolled(coordinator)
    client = password_login("coordinator")
    code = code_for(device)

    response = client.post(VERIFY, {"code": f"{code[:3]} {code[3:]}"})

    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_a_recovery_code_works_once_and_is_audited(coordinator):
    enrolled(coordinator)
    first = password_login("coordinator")

    used = first.post(VERIFY, {"code": "ABCD-EFGH", "next": "/"})
    second = password_login("coordinator")
    again = second.post(VERIFY, {"code": "abcdefgh"})

    assert used["Location"] == "/"
    assert again.status_code == 400
    assert second.get("/")["Location"].startswith(VERIFY)
    assert not StaticToken.objects.filter(device__user=coordinator).exists()
    event = AuditEvent.objects.filter(actor=coordinator, action=AuditAction.UPDATE).latest("id")
    assert event.detail == {"two_factor": "recovery code used"}


def test_wrong_codes_make_the_next_ones_wait_even_the_right_one(coordinator, settings):
    device = enrolled(coordinator)
    coordinator.language = "en"
    coordinator.save(update_fields=["language"])
    client = password_login("coordinator")
    client.get("/")  # the language remembered on the account takes effect
    wrong = client.post(VERIFY, {"code": a_wrong_code(device)})
    assert "That code is not right." in wrong.content.decode()
    # As after ten wrong codes in a row.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=10, throttling_failure_timestamp=timezone.now()
    )

    response = client.post(VERIFY, {"code": code_for(device)})

    assert response.status_code == 400
    assert "Too many wrong codes. Wait" in response.content.decode()
    assert client.get("/")["Location"].startswith(VERIFY)
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(hours=1)
    )
    assert client.post(VERIFY, {"code": code_for(device)}).status_code == 302


def test_the_verify_page_refuses_to_send_people_to_another_site(coordinator):
    device = enrolled(coordinator)
    client = password_login("coordinator")

    response = client.post(VERIFY, {"code": code_for(device), "next": "https://evil.example/"})

    assert response["Location"] == "/"


# --- managing it -------------------------------------------------------------------------------


def test_new_recovery_codes_need_the_password_and_replace_the_old_ones(login, coordinator):
    enrolled(coordinator)
    client = password_login("coordinator")
    client.post(VERIFY, {"code": "abcdefgh"})
    old = set(StaticToken.objects.values_list("token", flat=True).filter(device__user=coordinator))

    refused = client.post("/accounts/two-factor/codes/", {"password": "nope"})
    assert refused["Location"] == "/accounts/two-factor/"
    assert (
        set(StaticToken.objects.filter(device__user=coordinator).values_list("token", flat=True))
        == old
    )

    client.post("/accounts/two-factor/codes/", {"password": "caunoi-demo"})
    shown = CODES.findall(client.get("/accounts/two-factor/codes/").content.decode())

    stored = set(
        StaticToken.objects.filter(device__user=coordinator).values_list("token", flat=True)
    )
    assert len(shown) == 10
    assert stored == set(shown)
    assert not stored & old


def test_turning_it_off_needs_the_password_and_a_required_role_must_enrol_again(
    required, coordinator
):
    device = enrolled(coordinator)
    client = password_login("coordinator")
    client.post(VERIFY, {"code": code_for(device)})

    client.post("/accounts/two-factor/disable/", {"password": "nope"})
    assert TOTPDevice.objects.filter(user=coordinator).exists()

    client.post("/accounts/two-factor/disable/", {"password": "caunoi-demo"})

    assert not TOTPDevice.objects.filter(user=coordinator).exists()
    assert not StaticDevice.objects.filter(user=coordinator).exists()
    assert client.get("/consults/")["Location"] == f"{ENROL}?next=/consults/"
    event = AuditEvent.objects.filter(actor=coordinator).latest("id")
    assert event.detail == {"two_factor": "removed"}


def test_an_administrator_resets_a_lost_phone_from_the_command_line(coordinator):
    enrolled(coordinator)
    out = io.StringIO()

    call_command("twofactor", "reset", "coordinator", stdout=out)

    assert "reset" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=coordinator).exists()
    assert AuditEvent.objects.latest("id").detail == {"two_factor": "removed"}


def test_the_profile_says_whether_it_is_on(login, worker):
    client = english(worker, login)
    assert "Two-factor sign-in</a>: off" in client.get("/accounts/profile/").content.decode()

    enrolled(worker)
    other = password_login("worker")
    other.post(VERIFY, {"code": "abcdefgh"})

    assert "Two-factor sign-in</a>: on" in other.get("/accounts/profile/").content.decode()
