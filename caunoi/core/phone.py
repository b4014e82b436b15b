"""Vietnamese phone numbers: validated with ``phonenumbers`` and stored in E.164 (+84…)."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def phone_normalize(raw: str) -> str:
    """``0912 345 678`` → ``+84912345678``; empty stays empty; anything else is refused."""
    text = raw.strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, "VN")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("Enter a phone number, e.g. 0912 345 678."), code="phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _(
                "%(number)s is not a valid phone number (mobile numbers have 10 digits, e.g. 0912 345 678)."
            )
            % {"number": text},
            code="phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_display(e164: str) -> str:
    if not e164:
        return ""
    number = phonenumbers.parse(e164, "VN")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
