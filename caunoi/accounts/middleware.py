from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from caunoi.accounts.two_factor import DEVICE, FREE, SESSION_KEY, two_factor_state_store
from caunoi.core.api import ErrorCode
from caunoi.core.errors import error_json, is_api, is_fhir


class UserLanguageMiddleware:
    """Right after sign-in, switch to the language the person chose last time (stored on their
    account) and remember it in the language cookie on this computer too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        pending = None
        if hasattr(request, "session"):
            pending = request.session.pop("caunoi_language", None)
        if pending and pending in dict(settings.LANGUAGES):
            translation.activate(pending)
            request.LANGUAGE_CODE = pending
        response = self.get_response(request)
        # A language switch in this very request wins over the remembered choice.
        switched = settings.LANGUAGE_COOKIE_NAME in response.cookies
        if pending and pending in dict(settings.LANGUAGES) and not switched:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                pending,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite="Lax",
                secure=settings.LANGUAGE_COOKIE_SECURE,
            )
        return response


class TwoFactorMiddleware:
    """The one place that holds a signed-in person to two-factor sign-in (after
    ``OTPMiddleware``). Someone with an app must give a code once per session; someone whose
    role requires it (``OTP_REQUIRED_ROLES``) and who has none must set it up. Until then pages
    redirect to that step, and the JSON API answers 403 for the session. A bearer API token is
    a credential of its own and is not held up; a session does not ride along with a token."""

    # What a half-signed-in person may still reach.
    OPEN_VIEWS = frozenset(
        {
            "login",
            "logout",
            "set_language",
            "healthz",
            "two_factor_verify",
            "two_factor_enrol",
        }
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated:
            return None
        state = request.session.get(SESSION_KEY)
        if state is None:  # a session from before two-factor sign-in existed
            state = two_factor_state_store(request.session, user)
        if state == FREE or user.is_verified():  # type: ignore[attr-defined]
            return None
        match = request.resolver_match
        if match is not None and match.url_name in self.OPEN_VIEWS:
            return None
        if is_fhir(request):
            # A FHIR client is known by its token alone (the FHIR views ask for one); an
            # unfinished session never stands in for it.
            request.user = AnonymousUser()
            return None
        if is_api(request):
            if request.headers.get("Authorization"):
                # The token decides who this is; the unfinished session must not stand in
                # for a missing or wrong token.
                request.user = AnonymousUser()
                return None
            return error_json(
                status=403,
                code=ErrorCode.FORBIDDEN.value,
                message=str(_("Finish signing in with your second factor on the web page first.")),
            )
        target = "two_factor_verify" if state == DEVICE else "two_factor_enrol"
        return redirect_to_login(
            request.get_full_path(), login_url=reverse(target), redirect_field_name="next"
        )
