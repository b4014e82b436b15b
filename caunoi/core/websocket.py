"""Reading what a browser sends over a websocket.

Every frame a consumer receives goes through ``read_frame`` before anything acts on it: it must
be text, not too long, JSON (no NaN or Infinity), an object, of a kind the consumer knows, and
valid for that kind's schema (pydantic, strict, no unknown fields). Anything else raises
``FrameError``, which the consumer answers with an error frame
``{"type": "error", "code": …, "message": …}`` (translated); the socket stays open.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, PlainValidator
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from caunoi.core.api import _pydantic_message
from caunoi.core.input_text import unstorable_paths

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def _canonical_uuid(value: object) -> str:
    # Only the form our own pages send: Python (and pydantic) would also take "{…}", "urn:uuid:…"
    # or 32 bare digits, which then make group names Channels refuses.
    if isinstance(value, str) and _UUID.fullmatch(value):
        return value.lower()
    raise PydanticCustomError("uuid_parsing", "not a UUID")


Uuid = Annotated[str, PlainValidator(_canonical_uuid)]


class Frame(BaseModel):
    """Base of the schemas of incoming frames: exact types, no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


@dataclass(frozen=True)
class Kind:
    """One kind of frame: what it looks like, and the error code a wrong one gets."""

    schema: type[Frame]
    error_code: str = "bad_message"


class FrameError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def frame(self) -> str:
        return error_frame(self.code, self.message)


def error_frame(code: str, message: str) -> str:
    return json.dumps({"type": "error", "code": code, "message": message})


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def read_frame(
    text_data: str | None,
    bytes_data: bytes | None,
    *,
    max_chars: int,
    kinds: Mapping[tuple[str, str], Kind],
) -> Frame:
    """The frame checked against the schema of its kind. ``kinds`` is keyed by the field and
    value that tell the kind (``("type", "ping")``, ``("subscribe", "consult")``)."""
    if text_data is None:
        raise FrameError("not_text", _("Send text (JSON), not binary data."))
    if len(text_data) > max_chars:
        raise FrameError(
            "too_large",
            _("The message is too long: at most %(limit)s characters.") % {"limit": max_chars},
        )
    try:
        message = json.loads(text_data, parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:  # deep nesting exhausts the parser's stack
        raise FrameError("bad_json", _("The message is not valid JSON.")) from exc
    if not isinstance(message, dict):
        raise FrameError("bad_message", _("The message must be a JSON object."))
    try:
        unstorable = next(unstorable_paths(message), None)
    except RecursionError as exc:
        raise FrameError("bad_json", _("The message is not valid JSON.")) from exc
    if unstorable is not None:
        raise FrameError(
            "bad_message",
            _("Field %(field)s: %(problem)s")
            % {
                "field": unstorable,
                "problem": _(
                    "Remove the control character (NUL) or invalid character from this value."
                ),
            },
        )
    kind = next(
        (k for (field, value), k in kinds.items() if message.get(field) == value),
        None,
    )
    if kind is None:
        raise FrameError("unknown", _("Unknown kind of message."))
    try:
        return kind.schema.model_validate(message)
    except PydanticValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error.get("loc", ())) or "__all__"
        raise FrameError(
            kind.error_code,
            _("Field %(field)s: %(problem)s")
            % {"field": field, "problem": _pydantic_message(dict(error))},
        ) from exc


def socket_language(scope: Mapping[str, Any]) -> str:
    """The language to answer a socket in: this browser's choice (the language cookie), else
    the person's, else the site's."""
    available = dict(settings.LANGUAGES)
    cookie = (scope.get("cookies") or {}).get(settings.LANGUAGE_COOKIE_NAME)
    if cookie in available:
        return str(cookie)
    chosen = getattr(scope.get("user"), "language", None)
    if chosen in available:
        return str(chosen)
    return translation.get_supported_language_variant(settings.LANGUAGE_CODE)
