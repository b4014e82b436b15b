"""Refuse, at the door, text that no field can hold: the NUL character (PostgreSQL's text types
cannot store it, and psycopg refuses to send it) and lone UTF-16 surrogates (not Unicode; they
cannot be encoded to UTF-8). Checked once for every request — the address, the query, form fields
and JSON bodies — so no view, form, schema or filter has to remember it, and no such input reaches
the database to turn into a 500.

Pages answer 400 in the site's layout; the API answers 422 in its error shape, naming the field.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

from caunoi.core.errors import bad_request, error_json, is_api


def is_unstorable(text: str) -> bool:
    return "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text)


def unstorable_paths(value: Any, path: str = "") -> Iterator[str]:
    """The paths of the strings in a JSON value that cannot be stored (keys included)."""
    if isinstance(value, str):
        if is_unstorable(value):
            yield path or "__all__"
    elif isinstance(value, dict):
        for key, inner in value.items():
            name = f"{path}.{key}" if path else str(key)
            if is_unstorable(str(key)):
                yield name
            else:
                yield from unstorable_paths(inner, name)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from unstorable_paths(inner, f"{path}.{i}" if path else str(i))


def unstorable_fields(request: HttpRequest) -> list[str]:
    """The names of the parameters and fields of ``request`` that hold unstorable text."""
    found: list[str] = []
    if is_unstorable(unquote(request.path)):
        found.append("__path__")
    for key, values in request.GET.lists():
        if is_unstorable(key) or any(is_unstorable(v) for v in values):
            found.append(key)
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return found
    content_type = request.content_type or ""
    if content_type == "application/json":
        try:
            body = json.loads(request.body or b"null")
            found.extend(unstorable_paths(body))
        except RecursionError:
            # Nested deeper than any form of ours: refused here, since the endpoint's own
            # parser would exhaust its stack the same way.
            found.append("__all__")
        except ValueError:
            return found  # not JSON: the endpoint answers its own error
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            form = request.POST
        except MultiPartParserError:
            return found
        for key, values in form.lists():
            if is_unstorable(key) or any(is_unstorable(v) for v in values):
                found.append(key)
    return found


class RefuseUnstorableTextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            fields = unstorable_fields(request)
        except UnicodeDecodeError:
            fields = ["__all__"]
        if not fields:
            return self.get_response(request)
        if is_api(request):
            message = _("Remove the control character (NUL) or invalid character from this value.")
            return error_json(
                status=422,
                code="validation_error",
                message=_("Some values are not valid."),
                errors=[{"field": name, "message": message} for name in fields],
            )
        return bad_request(request)
