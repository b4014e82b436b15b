"""The FHIR interface's HTTP: JSON only (``application/fhir+json``), every error an
OperationOutcome with its status, and who is calling (a bearer token of the platform's kind, or
the signed-in session for reads)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from caunoi.accounts.models import User
from caunoi.accounts.services import api_token_authenticate
from caunoi.accounts.smart import system_token_authenticate

FHIR_JSON = "application/fhir+json"
# What a client may ask for: FHIR's JSON, plain JSON, or anything.
ACCEPTED = ("application/fhir+json", "application/json", "application/*", "*/*", "json")
XML = ("application/fhir+xml", "application/xml", "text/xml", "xml")


class FhirError(Exception):
    """A refusal answered as an OperationOutcome: its HTTP status, the issue's code (FHIR's
    IssueType) and a message for people."""

    def __init__(self, status: int, code: str, message: str, expression: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.expression = expression


def outcome(
    code: str, message: str, severity: str = "error", expression: str = ""
) -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": message}
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def fhir_response(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status=status,
        content_type=f"{FHIR_JSON}; charset=utf-8",
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(error: FhirError) -> HttpResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="fhir"'} if error.status == 401 else None
    return fhir_response(
        outcome(error.code, error.message, expression=error.expression), error.status, headers
    )


def _wants_xml(request: HttpRequest) -> bool:
    asked = request.GET.get("_format", "").lower()
    if asked:
        return not any(asked == a or asked.startswith(a.split(";")[0]) for a in ACCEPTED)
    accept = request.headers.get("Accept", "").lower()
    if not accept:
        return False
    kinds = [part.split(";")[0].strip() for part in accept.split(",")]
    return not any(kind in ACCEPTED or kind.endswith("+json") for kind in kinds)


def caller(request: HttpRequest, *, write: bool, needs: tuple[str, str] | None = None) -> User:
    """The user calling: a bearer token's owner — a person's API token, or a system client's
    SMART token (then the call must fall within its scopes: ``needs`` is the resource type and
    the permission, c, r, u, d or s) — else, for reads only, the signed-in session. A write
    with a session alone is refused (no CSRF token travels with a FHIR client)."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        raw = header[7:].strip()
        user = api_token_authenticate(raw)
        if user is None:
            system = system_token_authenticate(raw)
            if system is None:
                raise FhirError(401, "login", _("The bearer token is not valid."))
            client, scopes = system
            request.fhir_scopes = scopes  # type: ignore[attr-defined]
            if needs is not None:
                require_scope(request, *needs)
            user = client.user
        request.user = user
        return user
    if not write and isinstance(request.user, User) and request.user.is_authenticated:
        return request.user
    raise FhirError(401, "login", _("Authenticate with a bearer token."))


def allowed(request: HttpRequest, resource: str, permission: str) -> bool:
    """Whether the call's token lets it do ``permission`` (c, r, u, d, s) on ``resource``: a
    person's token or session always (their access rules apply); a system client's within its
    SMART scopes."""
    scopes = getattr(request, "fhir_scopes", None)
    return scopes is None or any(s.allows(resource, permission) for s in scopes)


def require_scope(request: HttpRequest, resource: str, permission: str) -> None:
    if not allowed(request, resource, permission):
        raise FhirError(
            403,
            "forbidden",
            _("The token's scopes do not allow this (%(type)s, %(permission)s).")
            % {"type": resource, "permission": permission},
        )


def fhir_view(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """A FHIR endpoint: JSON only (406 for XML), the caller known, any refusal an
    OperationOutcome. Not CSRF-protected: writes need a bearer token (``caller``)."""

    @csrf_exempt
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            if _wants_xml(request):
                raise FhirError(
                    406,
                    "not-supported",
                    _("This server speaks FHIR in JSON only (application/fhir+json)."),
                )
            return view(request, *args, **kwargs)
        except FhirError as error:
            return error_response(error)

    return wrapped


def read_json(request: HttpRequest, resource_type: str) -> dict[str, Any]:
    """The request's body as a resource of ``resource_type``, or a 400 that says what is wrong."""
    content_type = request.content_type or ""
    if content_type not in ("application/fhir+json", "application/json"):
        raise FhirError(415, "not-supported", _("Send the resource as application/fhir+json."))
    try:
        body = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FhirError(400, "structure", _("The body is not valid JSON.")) from exc
    if not isinstance(body, dict):
        raise FhirError(400, "structure", _("The body is not a FHIR resource."))
    if body.get("resourceType") != resource_type:
        raise FhirError(
            400,
            "invalid",
            _("The body's resourceType must be %(type)s.") % {"type": resource_type},
            "resourceType",
        )
    return body
