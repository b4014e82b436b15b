"""Log-ins and log-outs go into the audit trail; the interface language a person chose is
restored when they sign in on another computer."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest

from caunoi.audit.models import AuditAction
from caunoi.audit.services import audit_record


@receiver(user_logged_in)
def _on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    with transaction.atomic():
        audit_record(actor=user, action=AuditAction.LOGIN, obj=user, request=request)
    if request is not None and getattr(user, "language", None):
        request.session["caunoi_language"] = user.language


@receiver(user_logged_out)
def _on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    with transaction.atomic():
        audit_record(actor=user, action=AuditAction.LOGOUT, obj=user, request=request)
