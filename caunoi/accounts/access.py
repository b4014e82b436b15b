from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import Http404

from caunoi.accounts.models import ApiToken


def access_own_token(user: Any, public_id: UUID | str) -> ApiToken:
    """A person manages only their own tokens; anybody else's is "not found"."""
    if not user.is_authenticated:
        raise Http404
    try:
        return ApiToken.objects.get(public_id=public_id, user=user)
    except (ApiToken.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc
