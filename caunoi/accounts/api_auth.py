"""Who calls the JSON API: the session's user or the owner of a bearer token."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from caunoi.accounts.models import User
from caunoi.accounts.services import api_token_authenticate


def api_user(request: HttpRequest) -> User:
    """The signed-in user of an API call (every operation requires authentication)."""
    user = request.user
    if not isinstance(user, User):
        raise AuthenticationError
    return user


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user
