from __future__ import annotations

from uuid import UUID

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import Http404

from caunoi.accounts.models import ApiToken, User


def access_own_token(user: User | AnonymousUser, public_id: UUID | str) -> ApiToken:
    """A person manages only their own tokens; anybody else's is "not found"."""
    if not user.is_authenticated:
        raise Http404
    try:
        return ApiToken.objects.get(public_id=public_id, user=user)
    except (ApiToken.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc
