"""Where a notification reaches a person who has no page open: e-mail (``tasks``), SMS through
a gateway's HTTP API, and web push to the browsers where they allowed it. One interface: each
channel says whether it is set up and sends one notification; ``channels_send`` sends each
unread notification by every channel its person chose (``ChannelChoice``) and marks it sent
there, so that a task run twice sends nothing twice.

- **SMS** (``SMS_GATEWAY_URL``): a POST of ``{"to", "text", "sender"}`` as JSON with
  ``Authorization: Bearer SMS_GATEWAY_TOKEN``. A Vietnamese gateway (the carriers' brand-name
  SMS, eSMS, SpeedSMS…) is reached through a small relay of that shape, or by changing
  ``sms_send``: the rest does not change. Numbers are sent as +84…; the text without
  diacritics unless ``SMS_UNICODE`` (a Unicode SMS holds 70 characters, not 160, and brand-name
  SMS in Vietnam is usually sent without them).
- **Web push** (``WEBPUSH_VAPID_PRIVATE_KEY``, ``WEBPUSH_CONTACT``): the message encrypted for
  the browser (RFC 8291, aes128gcm) and signed for the push service (VAPID, RFC 8292) by
  ``pywebpush``; the service worker shows it. A browser the push service no longer knows (404,
  410) is forgotten.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from caunoi.accounts.models import User
from caunoi.audit.models import AuditAction
from caunoi.audit.origin import SYSTEM, AuditOrigin
from caunoi.audit.services import audit_record
from caunoi.core.text import unmarked
from caunoi.notifications.models import ChannelChoice, Notification, PushSubscription

log = logging.getLogger(__name__)

SMS_LIMIT = 306  # two concatenated SMS of plain characters
PUSH_TTL = 24 * 3600  # the push service keeps a message for a browser that is off this long


class ChannelError(Exception):
    """A channel could not send: the message, for the log."""


def choice_for(user: User) -> ChannelChoice:
    """The person's choice, or the defaults (e-mail and push on, SMS off) when they made none."""
    return choices_for([user])[user.pk]


def choices_for(users: Iterable[User]) -> dict[int, ChannelChoice]:
    """Each person's choice, or the defaults when they made none, by id, in one query."""
    people = {u.pk: u for u in users}
    found = {c.user_id: c for c in ChannelChoice.objects.filter(user_id__in=list(people))}
    return {pk: found.get(pk) or ChannelChoice(user=u) for pk, u in people.items()}


def sms_ready() -> bool:
    return bool(settings.SMS_GATEWAY_URL)


def push_ready() -> bool:
    return bool(settings.WEBPUSH_VAPID_PRIVATE_KEY)


def push_public_key() -> str:
    """The VAPID public key browsers subscribe with (``applicationServerKey``), base64url."""
    if not push_ready():
        return ""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    from py_vapid import Vapid

    vapid = Vapid.from_string(settings.WEBPUSH_VAPID_PRIVATE_KEY)
    raw = vapid.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# --- SMS --------------------------------------------------------------------------------------


def phone_e164(phone: str) -> str:
    """A Vietnamese number as +84…: 0912 345 678 → +84912345678; "" when it is not one."""
    digits = re.sub(r"[^\d+]", "", phone)
    if digits.startswith("+84"):
        digits = digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = digits[1:]
    return f"+84{digits}" if re.fullmatch(r"[35789]\d{8}", digits) else ""


def sms_text(row: Notification) -> str:
    shown = row.shown()
    link = f"{settings.SITE_URL.rstrip('/')}{row.url}" if row.url else ""
    text = " ".join(part for part in (f"{shown.title}.", shown.body, link) if part)
    text = re.sub(r"\s+", " ", text).strip()
    if not settings.SMS_UNICODE:
        text = unmarked(text)
    return text if len(text) <= SMS_LIMIT else text[: SMS_LIMIT - 1] + "…"


def sms_send(to: str, text: str) -> None:
    body = json.dumps({"to": to, "text": text, "sender": settings.SMS_SENDER}).encode()
    request = urllib.request.Request(  # noqa: S310 (a gateway the operator configured)
        settings.SMS_GATEWAY_URL,
        data=body,
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {settings.SMS_GATEWAY_TOKEN}",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            answer.read()
    except (urllib.error.URLError, OSError) as exc:
        raise ChannelError(f"SMS gateway: {exc}") from exc


# --- web push ---------------------------------------------------------------------------------


def push_payload(row: Notification) -> dict[str, str]:
    shown = row.shown()
    return {
        "title": shown.title,
        "body": shown.body,
        "url": row.url or "/",
        "tag": str(row.public_id),
    }


def push_send(subscription: PushSubscription, payload: dict[str, str]) -> bool:
    """Send to one browser; False when the push service no longer knows it (then forgotten)."""
    from pywebpush import WebPushException, webpush

    try:
        webpush(
            subscription_info={
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            data=json.dumps(payload, ensure_ascii=False),
            vapid_private_key=settings.WEBPUSH_VAPID_PRIVATE_KEY,
            vapid_claims={"sub": settings.WEBPUSH_CONTACT},
            ttl=PUSH_TTL,
            timeout=10,
        )
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else 0
        if status in (404, 410):
            PushSubscription.objects.filter(pk=subscription.pk).delete()
            return False
        raise ChannelError(f"push service: {exc}") from exc
    PushSubscription.objects.filter(pk=subscription.pk).update(last_sent_at=timezone.now())
    return True


# --- sending ----------------------------------------------------------------------------------


def channels_send(notification_ids: list[int]) -> dict[str, int]:
    """Send each notification still unread by SMS and web push, as its person chose, each at
    most once per channel. A channel that fails is logged and left for the next run."""
    sent = {"sms": 0, "push": 0}
    rows = list(
        Notification.objects.select_related("user").filter(
            id__in=notification_ids, read_at__isnull=True
        )
    )
    choices = choices_for(row.user for row in rows)
    devices: dict[int, list[PushSubscription]] = defaultdict(list)
    for subscription in PushSubscription.objects.filter(user_id__in=list(choices)):
        devices[subscription.user_id].append(subscription)
    for row in rows:
        choice = choices[row.user_id]
        with translation.override(row.user.language or "vi"):
            if choice.sms and row.texted_at is None and sms_ready():
                to = phone_e164(row.user.phone)
                if to:
                    try:
                        sms_send(to, sms_text(row))
                    except ChannelError as exc:
                        log.warning("notification %s: %s", row.pk, exc)
                    else:
                        Notification.objects.filter(pk=row.pk).update(texted_at=timezone.now())
                        sent["sms"] += 1
            if choice.push and row.pushed_at is None and push_ready():
                payload = push_payload(row)
                reached = 0
                for subscription in devices[row.user_id]:
                    try:
                        reached += push_send(subscription, payload)
                    except ChannelError as exc:
                        log.warning("notification %s: %s", row.pk, exc)
                if reached:
                    Notification.objects.filter(pk=row.pk).update(pushed_at=timezone.now())
                    sent["push"] += 1
    return sent


# --- the person's choices ---------------------------------------------------------------------


def channels_choose(
    *,
    actor: User,
    email: bool,
    sms: bool,
    push: bool,
    phone: str,
    origin: AuditOrigin = SYSTEM,
) -> ChannelChoice:
    """The person's own channels, and the phone number SMS goes to (checked: a Vietnamese
    mobile number when SMS is on)."""
    phone = phone.strip()
    if phone and not phone_e164(phone):
        raise ValidationError(
            {"phone": _("Enter a Vietnamese mobile number, such as 0912 345 678.")}
        )
    if sms and not phone:
        raise ValidationError({"phone": _("SMS needs your mobile number.")})
    with transaction.atomic():
        choice, _created = ChannelChoice.objects.select_for_update().get_or_create(user=actor)
        choice.email, choice.sms, choice.push = email, sms, push
        choice.updated_at = timezone.now()
        choice.save()
        if actor.phone != phone:
            User.objects.filter(pk=actor.pk).update(phone=phone)
            actor.phone = phone
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=actor,
            purpose="notification channels",
            detail={"email": email, "sms": sms, "push": push},
            origin=origin,
        )
    return choice


def push_subscribe(
    *, actor: User, data: dict[str, Any], device: str = "", origin: AuditOrigin = SYSTEM
) -> PushSubscription:
    """Keep the browser's subscription (``PushSubscription.toJSON()``); the same address again
    is the same browser (its keys updated, its owner now ``actor``)."""
    endpoint = str(data.get("endpoint") or "")
    given = data.get("keys")
    keys: dict[str, Any] = given if isinstance(given, dict) else {}
    p256dh, auth = str(keys.get("p256dh") or ""), str(keys.get("auth") or "")
    if not endpoint.startswith("https://") and not (settings.DEBUG or settings.WEBPUSH_ALLOW_HTTP):
        raise ValidationError(_("The browser gave no push address."))
    if not endpoint.startswith(("https://", "http://")) or len(endpoint) > 1000:
        raise ValidationError(_("The browser gave no push address."))
    # The server posts to this address: only the browsers' own push services, never a host
    # of the operator's network that a made-up subscription would name.
    host = (urllib.parse.urlsplit(endpoint).hostname or "").lower()
    if not settings.WEBPUSH_ALLOW_HTTP and not any(
        host == known or host.endswith("." + known) for known in settings.WEBPUSH_SERVICES
    ):
        raise ValidationError(_("This browser's push service is not one Cầu Nối sends to."))
    if not re.fullmatch(r"[A-Za-z0-9_-]{80,100}", p256dh) or not re.fullmatch(
        r"[A-Za-z0-9_-]{16,30}", auth
    ):
        raise ValidationError(_("The browser's keys for notifications are not valid."))
    with transaction.atomic():
        subscription, created = PushSubscription.objects.update_or_create(
            endpoint=endpoint,
            defaults={"user": actor, "p256dh": p256dh, "auth": auth, "device": device[:200]},
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            obj=actor,
            purpose="notification channels",
            detail={"device": subscription.device, "push": "allowed"},
            origin=origin,
        )
    return subscription


def push_unsubscribe(*, actor: User, endpoint: str, origin: AuditOrigin = SYSTEM) -> int:
    with transaction.atomic():
        removed, _kinds = PushSubscription.objects.filter(user=actor, endpoint=endpoint).delete()
        if removed:
            audit_record(
                actor=actor,
                action=AuditAction.DELETE,
                obj=actor,
                purpose="notification channels",
                detail={"push": "removed"},
                origin=origin,
            )
    return removed
