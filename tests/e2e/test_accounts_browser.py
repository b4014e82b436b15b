"""In a real browser: a specialist whose role requires two-factor sign-in signs in, scans (reads)
the QR code's key, confirms with a first code, keeps the recovery codes and reaches the site;
the next sign-in asks for a code after the password."""

import base64
import re

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from caunoi.accounts.models import User
from caunoi.accounts.throttle import login_throttle_reset

pytestmark = pytest.mark.browser


def _code(secret: str, later: int = 0) -> str:
    key = base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    totp = TOTP(key)
    totp.time += 30 * later
    return f"{totp.token():06d}"


@pytest.fixture
def specialist_without_devices(committed_db):
    user = User.objects.get(username="specialist")
    login_throttle_reset("specialist")
    yield user
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def test_specialist_enrols_an_app_then_signs_in_with_a_code(
    new_page, sign_in, settings, specialist_without_devices
):
    settings.OTP_REQUIRED_ROLES = ["admin", "coordinator", "specialist", "officer"]
    page = new_page()

    sign_in(page, "specialist")

    page.wait_for_url(re.compile(r"/accounts/two-factor/enrol/"))
    qr = page.locator("img.qr")
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    assert page.evaluate("img => img.naturalWidth > 100", qr.element_handle())
    secret = page.locator("#totp-secret").inner_text()
    page.fill("#id_code", _code(secret))
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/accounts/two-factor/codes/"))
    assert page.locator("#recovery-codes li").count() == 10
    page.click("#main a.button")
    page.wait_for_url(lambda url: "/accounts/" not in url)
    assert page.locator("h1").count() == 1

    page.locator("form[action='/accounts/logout/'] button").first.click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    sign_in_again = new_page()
    sign_in(sign_in_again, "specialist")
    sign_in_again.wait_for_url(re.compile(r"/accounts/two-factor/verify/"))
    # The code used at enrolment cannot be used twice: give the next one.
    sign_in_again.fill("#id_code", _code(secret, later=1))
    sign_in_again.click("button[type=submit].primary")
    sign_in_again.wait_for_url(lambda url: "/accounts/" not in url)
    assert "/accounts/" not in sign_in_again.url
