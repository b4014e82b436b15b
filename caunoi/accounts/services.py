from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from axes.utils import reset as axes_reset
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_otp import verify_token as otp_verify_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from caunoi.accounts.models import ApiToken, DraftKey, User
from caunoi.accounts.throttle import login_throttle_reset
from caunoi.accounts.tokens import token_digest, token_generate
from caunoi.audit.models import AuditAction
from caunoi.audit.origin import SYSTEM, AuditOrigin
from caunoi.audit.services import audit_record

# Writing last_used_at on every API call would turn every read into a write; once a minute
# is precise enough to tell a live token from a forgotten one.
LAST_USED_RESOLUTION = timedelta(minutes=1)
RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery codes"


def api_token_create(
    *, user: User, name: str, actor: User | None, origin: AuditOrigin = SYSTEM
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; the clear token is returned once and never stored."""
    name = name.strip()[:100]
    token, prefix, digest = token_generate()
    with transaction.atomic():
        row = ApiToken.objects.create(user=user, name=name, prefix=prefix, key_hash=digest)
        audit_record(
            actor=actor,
            action=AuditAction.TOKEN_CREATE,
            obj=row,
            detail={"user": user.username},
            origin=origin,
        )
    return row, token


def api_token_revoke(*, token: ApiToken, actor: User | None, origin: AuditOrigin = SYSTEM) -> bool:
    """Revoke ``token``; False when it was already revoked (nothing changes then)."""
    with transaction.atomic():
        row = ApiToken.objects.select_for_update().get(pk=token.pk)
        if row.revoked_at is not None:
            return False
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action=AuditAction.TOKEN_REVOKE, obj=row, origin=origin)
    token.revoked_at = row.revoked_at
    return True


def api_token_authenticate(raw: str) -> User | None:
    """The active user owning the active token ``raw``, or None."""
    if not raw or len(raw) > 200:
        return None
    try:
        row = (
            ApiToken.objects.active()
            .select_related("user")
            .get(key_hash=token_digest(raw), user__is_active=True)
        )
    except ApiToken.DoesNotExist:
        return None
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


def user_set_language(*, user: User, language: str, actor: User) -> None:
    if user.language == language:
        return
    with transaction.atomic():
        user.language = language
        user.save(update_fields=["language"])
        audit_record(
            actor=actor, action=AuditAction.UPDATE, obj=user, detail={"fields": ["language"]}
        )


def user_password_set(
    *, user: User, password: str, actor: User, how: str, origin: AuditOrigin = SYSTEM
) -> None:
    """Set a new password (``how``: "change" on the profile, "reset" through the e-mailed
    link). A reset proves control of the account's e-mail, so it also lifts the log-in
    lock-outs and the slow-down of that username."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=user,
            detail={"fields": ["password"], "how": how},
            origin=origin,
        )
    if how == "reset":
        axes_reset(username=user.get_username())
        login_throttle_reset(user.get_username())


# --- two-factor sign-in --------------------------------------------------------------------


def _recovery_codes_create(user: User) -> list[str]:
    """Replace the person's recovery codes with ten new ones (each works once)."""
    # The device is kept (a session verified with a recovery code stays verified); its codes
    # are replaced.
    device = StaticDevice.objects.filter(user=user).order_by("id").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    StaticToken.objects.filter(device=device).delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def two_factor_enrol_start(*, user: User) -> TOTPDevice:
    """The authenticator app being set up: an unconfirmed device, the same one on every visit
    until it is confirmed (so reloading the page keeps the QR code that was scanned)."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("id")
            .first()
        )
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def two_factor_enrol_confirm(
    *, user: User, token: str, origin: AuditOrigin = SYSTEM
) -> tuple[TOTPDevice, list[str]] | None:
    """Confirm the app with its first code: the device becomes the person's second factor and
    ten new recovery codes replace any old ones. Returns the device (the view then marks its
    session verified with it) and the recovery codes (to show once), or None when the code is
    wrong (nothing changes then)."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("id")
            .first()
        )
        if device is None or not device.verify_token(_clean_code(token)):
            return None
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _recovery_codes_create(user)
        audit_record(
            actor=user,
            action=AuditAction.UPDATE,
            obj=user,
            detail={"two_factor": "enrolled"},
            origin=origin,
        )
    return device, codes


def _clean_code(token: str) -> str:
    # People copy codes with spaces or dashes ("123 456", "abcd-efgh") and in capitals.
    return "".join(ch for ch in token if ch.isalnum()).lower()[:16]


def two_factor_verify(*, user: User, token: str, origin: AuditOrigin = SYSTEM) -> Device | None:
    """The second step of signing in: a code from the app or one recovery code (used up).
    Returns the device that took the code (the view then marks its session verified with it),
    or None. Django-otp counts wrong codes per device and makes each next try wait longer."""
    code = _clean_code(token)
    if not code:
        return None
    devices: list[Device] = [
        *TOTPDevice.objects.filter(user=user, confirmed=True),
        *StaticDevice.objects.filter(user=user, confirmed=True),
    ]
    # Six digits come from the app, anything else is a recovery code: a code is tried on the
    # one kind of device it can belong to, so a typo does not slow down both.
    app_code = code.isdigit() and len(code) <= 8
    for device in devices:
        if isinstance(device, TOTPDevice) != app_code:
            continue
        verified = otp_verify_token(user, device.persistent_id, code)
        if verified is None:
            continue
        if isinstance(verified, StaticDevice):
            with transaction.atomic():
                audit_record(
                    actor=user,
                    action=AuditAction.UPDATE,
                    obj=user,
                    detail={"two_factor": "recovery code used"},
                    origin=origin,
                )
        return verified
    return None


def two_factor_wait_seconds(*, user: User) -> int:
    """Seconds before the person's devices accept another code after wrong ones (0: now)."""
    waits = [0]
    for model in (TOTPDevice, StaticDevice):
        for device in model.objects.filter(user=user, confirmed=True):
            allowed, info = device.verify_is_allowed()
            if not allowed and info and info.get("locked_until"):
                waits.append(int((info["locked_until"] - timezone.now()).total_seconds()) + 1)
    return max(waits)


def two_factor_recovery_codes_renew(
    *, user: User, actor: User, origin: AuditOrigin = SYSTEM
) -> list[str]:
    with transaction.atomic():
        codes = _recovery_codes_create(user)
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=user,
            detail={"two_factor": "recovery codes renewed"},
            origin=origin,
        )
    return codes


def two_factor_disable(
    *,
    user: User,
    actor: User | None,
    origin: AuditOrigin = SYSTEM,
) -> bool:
    """Remove the person's app and recovery codes (a lost phone; done by the person, or by an
    administrator with ``caunoi twofactor reset``). False when there was nothing to remove.
    Someone whose role requires two-factor sign-in is asked to set it up again (the view
    stores the new state in the person's session)."""
    with transaction.atomic():
        removed, _counts = TOTPDevice.objects.filter(user=user).delete()
        removed_codes, _counts = StaticDevice.objects.filter(user=user).delete()
        if not removed and not removed_codes:
            return False
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=user,
            detail={"two_factor": "removed"},
            origin=origin,
        )
    return True


# A key made this long ago is destroyed with what it sealed: a device left with unsent forms for
# a month holds nothing anyone should still send.
DRAFT_KEY_DAYS = 30


def session_digest(session_key: str | None) -> str:
    """How a draft key names the session that uses it (never the session key itself)."""
    return hashlib.sha256((session_key or "").encode()).hexdigest() if session_key else ""


def draft_key_issue(*, user: User, session: str, origin: AuditOrigin = SYSTEM) -> DraftKey:
    """A new key for the forms this person's browser keeps unsent, used by ``session`` (a
    ``session_digest``); destroyed after ``DRAFT_KEY_DAYS`` by a task scheduled now."""
    from caunoi.accounts.tasks import draft_keys_expire_task

    with transaction.atomic():
        key = DraftKey.objects.create(user=user, secret=secrets.token_bytes(32), session=session)
        audit_record(actor=user, action=AuditAction.CREATE, obj=key, origin=origin)
        expires_at = key.created_at + timedelta(days=DRAFT_KEY_DAYS)
        transaction.on_commit(lambda: draft_keys_expire_task.using(run_after=expires_at).enqueue())
    return key


def draft_key_hand_out(
    *, user: User, public_id: str, session: str, origin: AuditOrigin = SYSTEM
) -> DraftKey | None:
    """``user``'s key ``public_id`` for ``session`` (her forms kept from a session that ended
    without signing out), or None when it is not hers or no longer exists. Handing it to
    another session than the last is audited: it opens what the device kept."""
    with transaction.atomic():
        key = DraftKey.objects.filter(user=user, public_id=public_id).first()
        if key is None:
            return None
        moved = DraftKey.objects.filter(pk=key.pk).exclude(session=session).update(session=session)
        if moved:
            audit_record(
                actor=user,
                action=AuditAction.VIEW,
                obj=key,
                detail={"handed_to": "another session"},
                origin=origin,
            )
    return key


def _draft_keys_delete(
    keys: QuerySet[DraftKey],
    *,
    actor: User | None,
    origin: AuditOrigin = SYSTEM,
    detail: dict[str, str] | None = None,
    skip_locked: bool = False,
) -> int:
    """Lock ``keys``, write a DELETE audit row for each and delete them, in one transaction
    (``skip_locked``: leave the rows another transaction holds to it)."""
    with transaction.atomic():
        locked = list(keys.select_for_update(skip_locked=skip_locked))
        for key in locked:
            audit_record(
                actor=actor, action=AuditAction.DELETE, obj=key, origin=origin, detail=detail
            )
        DraftKey.objects.filter(pk__in=[k.pk for k in locked]).delete()
    return len(locked)


def draft_keys_destroy(*, user: User, session: str, origin: AuditOrigin = SYSTEM) -> int:
    """Destroy the keys ``session`` used (signing out): the forms encrypted with them can no
    longer be read by anyone. Returns how many there were."""
    if not session:
        return 0
    return _draft_keys_delete(
        DraftKey.objects.filter(user=user, session=session), actor=user, origin=origin
    )


def draft_keys_expire() -> int:
    """Destroy every key made more than ``DRAFT_KEY_DAYS`` ago. Safe to run twice or late: rows
    another run holds are skipped."""
    old = DraftKey.objects.filter(created_at__lt=timezone.now() - timedelta(days=DRAFT_KEY_DAYS))
    return _draft_keys_delete(old, actor=None, detail={"why": "expired"}, skip_locked=True)
