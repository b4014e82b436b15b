"""What a person sees when a request goes wrong: the site's layout and a translated message on
pages, the API's JSON error shape ``{"code", "message", "errors"}`` under ``/api/`` — for a crash
too. Django calls these for 400, 403, 404, 500 and a refused CSRF token (``config/urls.py``,
``CSRF_FAILURE_VIEW``)."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def error_json(
    *, status: int, code: str, message: str, errors: list[dict[str, str]] | None = None
) -> JsonResponse:
    return JsonResponse(
        {"code": code, "message": message, "errors": errors or []},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def error_page(request: HttpRequest, *, status: int, title: str, message: str) -> HttpResponse:
    """The error in the site's layout; a bare page if the layout itself cannot be drawn (the
    database being down, for instance: the menu reads it)."""
    try:
        return render(
            request, "core/error.html", {"title": title, "message": message}, status=status
        )
    except Exception:
        log.exception("the error page could not be drawn")
        body = (
            f'<!doctype html><html lang="vi"><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<h1>{escape(title)}</h1><p>{escape(message)}</p>"
        )
        return HttpResponse(body, status=status)


# FHIR's issue types for the statuses these handlers answer (the FHIR interface, ``caunoi/fhir``,
# answers its own refusals; these are what reaches Django's handlers: a crash, a body too big).
FHIR_ISSUES = {
    400: "invalid",
    403: "forbidden",
    404: "not-found",
    413: "too-costly",
    500: "exception",
}


def is_fhir(request: HttpRequest) -> bool:
    return request.path.startswith("/fhir/")


def operation_outcome(*, status: int, message: str) -> HttpResponse:
    """FHIR's one error shape, for the FHIR interface's paths."""
    body = {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "fatal" if status >= 500 else "error",
                "code": FHIR_ISSUES.get(status, "processing"),
                "diagnostics": message,
            }
        ],
    }
    return HttpResponse(
        json.dumps(body, ensure_ascii=False),
        status=status,
        content_type="application/fhir+json; charset=utf-8",
    )


def _answer(request: HttpRequest, status: int, code: str, title: str, message: str) -> HttpResponse:
    if is_fhir(request):
        return operation_outcome(status=status, message=message)
    if is_api(request):
        return error_json(status=status, code=code, message=message)
    return error_page(request, status=status, title=title, message=message)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _answer(
        request,
        400,
        "bad_request",
        _("The request could not be understood"),
        _("Something in the address or the form cannot be read. Go back and try again."),
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _answer(
        request,
        403,
        "forbidden",
        _("You cannot do this"),
        str(exception) if exception and str(exception) else _("You cannot do this."),
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _answer(
        request,
        404,
        "not_found",
        _("Page not found"),
        _("There is no such page, or it is not yours to see."),
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return _answer(
        request,
        500,
        "error",
        _("Something went wrong"),
        _(
            "The server could not finish your request. Nothing was lost that was saved; "
            "try again in a moment, and tell the administrator if it happens again."
        ),
    )


def csrf_failure(request: HttpRequest, reason: str = "", **kwargs: Any) -> HttpResponse:
    return _answer(
        request,
        403,
        "forbidden",
        _("The form has expired"),
        _(
            "Reload the page and send the form again (the page was open too long, or cookies are off)."
        ),
    )
