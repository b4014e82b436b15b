"""Who must use two-factor sign-in, and where each session stands.

The state is worked out once, when a person signs in (``user_logged_in``), and kept in the
session, so the middleware that enforces it costs no query on an ordinary page. It is
recomputed by the two-factor services when a person enrols or turns it off; a role granted
later applies from the next sign-in.
"""

from __future__ import annotations

from base64 import b32encode

import segno
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from caunoi.accounts.models import User
from caunoi.network.models import Membership

SESSION_KEY = "caunoi_2fa"
# Not required and no device: nothing to ask.
FREE = "free"
# Has a confirmed device: must give a code once per session.
DEVICE = "device"
# Required by a role but no device yet: must enrol before anything else.
ENROL = "enrol"


def two_factor_required(user: User) -> bool:
    """Whether ``user`` must have a second factor (OTP_REQUIRED_ROLES; superusers too)."""
    roles = list(settings.OTP_REQUIRED_ROLES)
    if not roles or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return Membership.objects.active().filter(user=user, role__in=roles).exists()


def two_factor_state(user: User) -> str:
    if user_has_device(user, confirmed=True):
        return DEVICE
    return ENROL if two_factor_required(user) else FREE


def two_factor_state_store(session: SessionBase, user: User) -> str:
    state = two_factor_state(user)
    session[SESSION_KEY] = state
    return state


def totp_secret(device: TOTPDevice) -> str:
    """The key as people type it into an app by hand: base32 in groups of four."""
    text = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def totp_qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// address as a QR code, an SVG in a data: URI (the CSP allows data:
    images and no inline script or style, so nothing else is needed to show it)."""
    qr = segno.make(device.config_url, error="m")
    return str(qr.svg_data_uri(scale=5, border=2, dark="#000", light="#fff"))
