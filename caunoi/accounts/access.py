from __future__ import annotations

from uuid import UUID

from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from caunoi.accounts.models import ApiToken, User
from caunoi.core.access import get_or_404


def access_own_token(user: User | AnonymousUser, public_id: UUID | str) -> ApiToken:
    """A person manages only their own tokens; anybody else's is "not found"."""
    if not user.is_authenticated:
        raise Http404
    return get_or_404(ApiToken.objects.all(), public_id=public_id, user=user)
