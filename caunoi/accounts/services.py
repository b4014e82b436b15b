from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from caunoi.accounts.models import ApiToken, User
from caunoi.accounts.tokens import token_digest, token_generate
from caunoi.audit.models import AuditAction
from caunoi.audit.services import audit_record

# Writing last_used_at on every API call would turn every read into a write; once a minute
# is precise enough to tell a live token from a forgotten one.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_token_create(
    *, user: User, name: str, actor: Any, request: HttpRequest | None = None
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
            request=request,
        )
    return row, token


def api_token_revoke(*, token: ApiToken, actor: Any, request: HttpRequest | None = None) -> bool:
    """Revoke ``token``; False when it was already revoked (nothing changes then)."""
    with transaction.atomic():
        row = ApiToken.objects.select_for_update().get(pk=token.pk)
        if row.revoked_at is not None:
            return False
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action=AuditAction.TOKEN_REVOKE, obj=row, request=request)
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


def user_set_language(*, user: User, language: str, actor: Any) -> None:
    if user.language == language:
        return
    with transaction.atomic():
        user.language = language
        user.save(update_fields=["language"])
        audit_record(
            actor=actor, action=AuditAction.UPDATE, obj=user, detail={"fields": ["language"]}
        )
