from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend, ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from caunoi.accounts.throttle import is_known_browser, login_attempt_wait


class LoginThrottleBackend(BaseBackend):
    """Placed before ModelBackend: refuses an attempt for a slowed-down username before the
    password is checked (PermissionDenied stops Django's authenticate). It authenticates
    nobody itself. Because it sits in the authentication chain, every log-in form — ours and
    any other calling ``authenticate`` with the request — is slowed alike."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None or not username:
            return None
        if is_known_browser(request, username):
            return None
        wait = login_attempt_wait(username)
        if wait:
            request.login_throttle_wait = wait  # type: ignore[attr-defined]
            raise PermissionDenied
        return None

    def get_user(self, user_id: Any) -> Any:
        # Django's test client (force_login) may record this backend in the session.
        return ModelBackend().get_user(user_id)
