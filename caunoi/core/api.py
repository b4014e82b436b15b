"""The JSON API's shared parts: one error shape for every failure, translated messages,
and refusal of unknown parameters."""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum
from typing import Any, ClassVar

from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import LimitOffsetPagination
from ninja.params.functions import Query  # typed, unlike ninja's shortcut
from pydantic import ConfigDict, ValidationInfo, model_validator

log = logging.getLogger("django.request")


class ErrorCode(StrEnum):
    VALIDATION = "validation_error"
    BAD_REQUEST = "bad_request"
    NOT_FOUND = "not_found"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"
    UNAVAILABLE = "unavailable"
    TOO_LARGE = "too_large"
    ERROR = "error"


class FieldErrorOut(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    code: ErrorCode
    message: str
    errors: list[FieldErrorOut] = []


class FieldErrors(Exception):
    """Bad input found by our own checks: answered with 422 and one message per field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class FieldConflict(FieldErrors):
    """Input that clashes with a record already there (a second patient under one citizen ID):
    answered with 409, the message saying what it clashes with and one message per field."""

    def __init__(self, message: str, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.message = message


def _pydantic_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind.startswith("uuid"):
        return _("Enter a valid id (UUID).")
    if kind.startswith("int"):
        return _("Enter a whole number.")
    if kind.startswith("bool"):
        return _("Enter true or false.")
    if kind in ("enum", "literal_error"):
        return _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
    if kind == "string_too_long":
        return _("Use at most %(limit)s characters.") % {"limit": ctx.get("max_length", "")}
    if kind == "string_too_short":
        return _("Use at least %(limit)s characters.") % {"limit": ctx.get("min_length", "")}
    if kind in ("greater_than_equal", "greater_than"):
        return _("Enter a number of at least %(limit)s.") % {
            "limit": ctx.get("ge", ctx.get("gt", ""))
        }
    if kind in ("less_than_equal", "less_than"):
        return _("Enter a number of at most %(limit)s.") % {
            "limit": ctx.get("le", ctx.get("lt", ""))
        }
    if kind == "value_error" and ctx.get("error"):
        return str(ctx["error"])
    return _("Enter a valid value.")


def _field_name(loc: list[Any] | tuple[Any, ...]) -> str:
    # Ninja prefixes the location with the parameter source and its model name.
    parts = [str(p) for p in loc if p not in ("query", "path", "body", "header", "form", "file")]
    if len(parts) > 1 and parts[0] in ("filters", "payload", "data"):
        parts = parts[1:]
    return ".".join(parts) or "__all__"


def error_response(
    api: NinjaAPI,
    request: HttpRequest,
    *,
    status: int,
    code: ErrorCode,
    message: str,
    errors: list[dict[str, str]] | None = None,
) -> HttpResponse:
    body = {"code": code.value, "message": message, "errors": errors or []}
    return api.create_response(request, body, status=status)


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(NinjaValidationError)
    def _validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = [
            {"field": _field_name(e.get("loc", ())), "message": _pydantic_message(e)}
            for e in exc.errors
        ]
        return error_response(
            api,
            request,
            status=422,
            code=ErrorCode.VALIDATION,
            message=_("Some values are not valid."),
            errors=errors,
        )

    @api.exception_handler(FieldErrors)
    def _field_errors(request: HttpRequest, exc: FieldErrors) -> HttpResponse:
        return error_response(
            api,
            request,
            status=422,
            code=ErrorCode.VALIDATION,
            message=_("Some values are not valid."),
            errors=[{"field": name, "message": str(msg)} for name, msg in exc.errors.items()],
        )

    @api.exception_handler(FieldConflict)
    def _field_conflict(request: HttpRequest, exc: FieldConflict) -> HttpResponse:
        return error_response(
            api,
            request,
            status=409,
            code=ErrorCode.CONFLICT,
            message=exc.message,
            errors=[{"field": name, "message": str(msg)} for name, msg in exc.errors.items()],
        )

    @api.exception_handler(DjangoValidationError)
    def _domain_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            errors = [
                {"field": name, "message": str(message)}
                for name, messages in exc.message_dict.items()
                for message in messages
            ]
        else:
            errors = [{"field": "__all__", "message": str(message)} for message in exc.messages]
        return error_response(
            api,
            request,
            status=422,
            code=ErrorCode.VALIDATION,
            message=_("Some values are not valid."),
            errors=errors,
        )

    @api.exception_handler(PermissionDenied)
    def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return error_response(
            api,
            request,
            status=403,
            code=ErrorCode.FORBIDDEN,
            message=str(exc) or _("You cannot do this."),
        )

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(
            api, request, status=404, code=ErrorCode.NOT_FOUND, message=_("Not found.")
        )

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(
            api,
            request,
            status=401,
            code=ErrorCode.UNAUTHENTICATED,
            message=_("Log in, or send a valid API token as 'Authorization: Bearer <token>'."),
        )

    @api.exception_handler(OperationalError)
    @api.exception_handler(InterfaceError)
    def _database_unreachable(request: HttpRequest, exc: Exception) -> HttpResponse:
        # A lost database connection (a restart, a fail-over) is a moment, not a bug: tell the
        # client to retry; with its Idempotency-Key a retry never doubles anything.
        log.warning("database unreachable: %s: %s", request.path, exc)
        response = error_response(
            api,
            request,
            status=503,
            code=ErrorCode.UNAVAILABLE,
            message=_("The database cannot be reached for a moment. Try again in a few seconds."),
        )
        response["Retry-After"] = "5"
        return response

    @api.exception_handler(Exception)
    def _crash(request: HttpRequest, exc: Exception) -> HttpResponse:
        # Logged as Django logs a 500 (with the traceback), answered in the API's own shape.
        log.error("Internal Server Error: %s", request.path, exc_info=exc)
        return error_response(
            api,
            request,
            status=500,
            code=ErrorCode.ERROR,
            message=_(
                "The server could not finish your request. Try again in a moment: a retry with "
                "the same Idempotency-Key never creates anything twice."
            ),
        )

    @api.exception_handler(HttpError)
    def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        codes = {403: ErrorCode.FORBIDDEN, 404: ErrorCode.NOT_FOUND, 409: ErrorCode.CONFLICT}
        return error_response(
            api,
            request,
            status=exc.status_code,
            code=codes.get(exc.status_code, ErrorCode.ERROR),
            message=str(exc.message),
        )


# Every operation may answer these, always in the shape of ErrorOut.
DOCUMENTED_ERRORS = {
    "400": "The request could not be read.",
    "401": "Not signed in, or no valid API token.",
    "403": "Not allowed (or the CSRF check of a session failed).",
    "404": "Not found, or not yours to see.",
    "409": "In conflict with the current state.",
    "413": "The request body is too large.",
    "422": "Some values are not valid: one message per field.",
    "500": "The server could not finish the request.",
    "503": "The database cannot be reached for a moment: retry after `Retry-After` seconds.",
}


class DocumentedErrorsAPI(NinjaAPI):
    """Ninja's API whose OpenAPI document also lists, for every operation, the error answers
    it may give and their one shape, so that a generated client (and a fuzzer checking the
    document) knows them."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        defs = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(defs.pop("$defs", {}))
        components["ErrorOut"] = defs
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, description in DOCUMENTED_ERRORS.items():
                    responses.setdefault(
                        status,
                        {
                            "description": description,
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/ErrorOut"}
                                }
                            },
                        },
                    )
        return schema


# No list is this long; an offset beyond what a database integer holds would fail in SQL.
MAX_OFFSET = 1_000_000_000


class Pagination(LimitOffsetPagination):
    """Ninja's limit/offset pagination with both ends bounded, for every API list."""

    class Input(Schema):
        limit: int = Field(
            django_settings.NINJA_PAGINATION_PER_PAGE,
            ge=1,
            le=django_settings.NINJA_PAGINATION_MAX_LIMIT,
        )
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


class SerializedPage:
    """A queryset that ninja's paginator slices and counts, serialising only the page it takes:
    ``serialize(rows)`` turns one page of model rows into output dicts (and may fetch what the
    page needs in one query)."""

    def __init__(self, qs: Any, serialize: Callable[[list[Any]], list[dict[str, object]]]) -> None:
        self.qs = qs
        self.serialize = serialize

    def __len__(self) -> int:
        return int(self.qs.count())

    def __getitem__(self, item: slice) -> list[dict[str, object]]:
        return self.serialize(list(self.qs[item]))


# --- Query parameters: one filter schema per operation, refusing what it does not name ----------


class Filters(Schema):
    """The query parameters of one operation, taken as ``filters: Query[TheFilters]``. A
    parameter it does not name is refused (422, "Unknown field." under that name) instead of
    ignored: a misspelt filter (``provice=``) would otherwise silently answer the unfiltered
    list."""

    model_config = ConfigDict(extra="forbid")

    # Parameters of the operation that another part of it reads (the pagination).
    read_elsewhere: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _hand_back_unknown_parameters(cls, data: Any, info: ValidationInfo) -> Any:
        # Ninja hands a schema only the parameters it names: give it the others as well, so
        # that extra="forbid" refuses them.
        request = (info.context or {}).get("request")
        if request is None or not isinstance(data, dict):
            return data
        named = {field.alias or name for name, field in cls.model_fields.items()}
        unknown = sorted(set(request.GET) - named - cls.read_elsewhere)
        return {**data, **{name: request.GET[name] for name in unknown}}


class ListFilters(Filters):
    """The query parameters of a list: its filters, and ``limit`` and ``offset`` (read by
    :class:`Pagination`)."""

    read_elsewhere = frozenset(Pagination.Input.model_fields)


class NoFilters(Filters):
    """The query parameters of an operation that takes none: any parameter is refused."""


def no_filters() -> Any:
    """The default of a filter schema that names no parameter (``filters: NoFilters =
    no_filters()``, or a bare ``ListFilters``): ninja hands such a schema nothing, so it is
    validated from this default, and every parameter is still refused."""
    return Query({}, validate_default=True)
