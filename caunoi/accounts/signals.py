"""Log-ins and log-outs go into the audit trail (and a log-out destroys the keys of the forms
the browser kept unsent); the interface language a person chose is
restored when they sign in on another computer; failed log-ins count towards the slow-down of
that username; where the session stands with two-factor sign-in is settled at log-in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest

from caunoi.accounts.models import User
from caunoi.accounts.services import draft_keys_destroy, session_digest
from caunoi.accounts.throttle import login_failure_record
from caunoi.accounts.two_factor import two_factor_state_store
from caunoi.audit.models import AuditAction
from caunoi.audit.origin import SYSTEM, AuditOrigin, origin_of
from caunoi.audit.services import audit_record


def _origin(request: HttpRequest | None) -> AuditOrigin:
    # Django sends these signals without a request when a test or a script logs someone in.
    return origin_of(request) if request is not None else SYSTEM


@receiver(user_logged_in)
def _on_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    with transaction.atomic():
        audit_record(actor=user, action=AuditAction.LOGIN, obj=user, origin=_origin(request))
    if request is not None and hasattr(request, "session"):
        two_factor_state_store(request.session, user)
    if request is not None and getattr(user, "language", None):
        request.session["caunoi_language"] = user.language


@receiver(user_logged_out)
def _on_logout(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if user is None:
        return
    with transaction.atomic():
        audit_record(actor=user, action=AuditAction.LOGOUT, obj=user, origin=_origin(request))
    # The forms this browser keeps unsent can no longer be read, by anyone (README: "Forms kept
    # on this device"); the page deletes them too, but a disk copied before is left unreadable.
    session = getattr(request, "session", None)
    if session is not None:
        draft_keys_destroy(
            user=user, session=session_digest(session.session_key), origin=_origin(request)
        )


@receiver(user_login_failed)
def _on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Attempts refused before the password was checked (slowed down, or locked out by axes)
    # do not count: they told the guesser nothing.
    if request is not None and (
        bool(getattr(request, "login_throttle_wait", 0))
        or bool(getattr(request, "axes_locked_out", False))
    ):
        return
    username = credentials.get("username")
    if isinstance(username, str) and username:
        login_failure_record(username)
