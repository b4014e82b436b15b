from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


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
