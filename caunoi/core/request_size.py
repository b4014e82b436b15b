"""Refusing a request body that is too large before it is read.

Under a WSGI server (gunicorn) Django reads a body only when a view asks for it, but under ASGI
(what `caunoi serve` runs on the embedded default) its handler receives the whole body, into memory up to
FILE_UPLOAD_MAX_MEMORY_SIZE and then into a temporary file, before any middleware runs. So
one rule, ``body_too_large``, is applied in two places:

- ``guard_request_size(app)`` wraps the ASGI application. A body whose Content-Length is over
  ``REQUEST_MAX_BYTES`` is never received: Django is handed an empty one and the request is
  marked. A body without Content-Length (chunked) is counted as it arrives and cut off, and
  the request marked, as soon as it passes the limit.
- ``RequestSizeLimitMiddleware``, first in MIDDLEWARE, answers 413 for a marked request or an
  over-long Content-Length: under /api/ in the API's error shape (code ``too_large``),
  elsewhere as a page in the site's layout, in the visitor's language.

In production, give nginx the same ``client_max_body_size`` so the body stops there first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _

from caunoi.core.api import ErrorCode
from caunoi.core.errors import error_json, error_page, is_api

MIDDLEWARE_PATH = "caunoi.core.request_size.RequestSizeLimitMiddleware"
# Set in the ASGI scope of a request whose body was not, or not entirely, received.
TOO_LARGE_KEY = "caunoi.body_too_large"

Scope = dict[str, Any]
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _over_limit(content_length: str | bytes | None) -> bool:
    try:
        return int(content_length or 0) > settings.REQUEST_MAX_BYTES
    except ValueError:
        return False  # the server refuses a malformed Content-Length itself


def body_too_large(request: HttpRequest) -> bool:
    """Whether the request's body is, or announces itself as, over REQUEST_MAX_BYTES."""
    scope = getattr(request, "scope", None)
    if scope is not None and scope.get(TOO_LARGE_KEY):
        return True
    return _over_limit(request.META.get("CONTENT_LENGTH"))


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if body_too_large(request):
            return _refusal(request)
        return self.get_response(request)


def _refusal(request: HttpRequest) -> HttpResponse:
    limit = settings.REQUEST_MAX_BYTES // (1024 * 1024)
    # This middleware runs before LocaleMiddleware: choose the language the same way it does.
    with translation.override(translation.get_language_from_request(request)):
        message = _(
            "This upload is too large: at most %(limit)s MB can be sent at once. "
            "Send fewer files at a time, or smaller ones."
        ) % {"limit": limit}
        response: HttpResponse
        if is_api(request):
            response = error_json(status=413, code=ErrorCode.TOO_LARGE.value, message=message)
        else:
            response = error_page(
                request,
                status=413,
                title=_("Upload too large"),
                message=f"{message} {_('Nothing was saved.')}",
            )
    # The middleware that would add it (CommonMiddleware) comes after this one.
    response["Content-Length"] = str(len(response.content))
    return response


async def _never() -> Message:
    """What a refused request's body reads as after its (empty) end: nothing, until the
    response has been sent and Django stops listening for a disconnect."""
    never: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
    return await never


def guard_request_size(app: AsgiApp) -> AsgiApp:
    """Wrap the ASGI application for HTTP so that no request body over REQUEST_MAX_BYTES is
    received (see the module's docstring)."""
    if list(settings.MIDDLEWARE[:1]) != [MIDDLEWARE_PATH]:
        raise ImproperlyConfigured(f"{MIDDLEWARE_PATH} must come first in MIDDLEWARE.")

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        scope = dict(scope)
        declared = next(
            (value for name, value in scope.get("headers", ()) if name == b"content-length"),
            None,
        )
        if declared is not None and _over_limit(declared):
            scope[TOO_LARGE_KEY] = True
            await app(scope, _empty_then_nothing(), send)
        elif declared is None:
            await app(scope, _counted(receive, scope), send)
        else:
            await app(scope, receive, send)

    return guarded


def _empty_then_nothing() -> Receive:
    ended = False

    async def receive() -> Message:
        nonlocal ended
        if ended:
            return await _never()
        ended = True
        return {"type": "http.request", "body": b"", "more_body": False}

    return receive


def _counted(receive: Receive, scope: Scope) -> Receive:
    """The body as it arrives, ended early (and the request marked) past the limit."""
    received = 0
    cut = False

    async def counted() -> Message:
        nonlocal received, cut
        if cut:
            return await _never()
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > settings.REQUEST_MAX_BYTES:
                cut = True
                scope[TOO_LARGE_KEY] = True
                return {"type": "http.request", "body": b"", "more_body": False}
        return message

    return counted
