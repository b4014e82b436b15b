from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import Http404

from caunoi.accounts.models import ApiToken
from caunoi.core.access import get_or_404


def access_own_token(user: Any, public_id: UUID | str) -> ApiToken:
    """A person manages only their own tokens; anybody else's is "not found"."""
    if not user.is_authenticated:
        raise Http404
    return get_or_404(ApiToken.objects.all(), public_id=public_id, user=user)
