"""Typed readers for environment settings.

Every reader fails loudly with ImproperlyConfigured on a value it cannot use, so a typo in a
production environment stops the process at start-up instead of running with a silent default.
Each setting NAME may instead be given as NAME_FILE, the path of a file holding the value
(the usual way to pass secrets from a container orchestrator or systemd credentials).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def raw(name: str) -> str | None:
    """The value of NAME, or of the file named by NAME_FILE, or None when neither is set."""
    value = os.environ.get(name)
    file_name = os.environ.get(f"{name}_FILE")
    if value is not None and file_name is not None:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both.")
    if file_name is not None:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_name!r} cannot be read: {exc}") from exc
    return value


def env_str(name: str, default: str) -> str:
    value = raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    value = raw(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use true or false).")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from exc
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_ws_origin(name: str) -> str:
    """Where browsers reach the websocket server: "" (the page's own origin), ":PORT" (the
    page's host on another port) or "ws[s]://host[:port]" (another origin, without a path)."""
    value = env_str(name, "").strip().rstrip("/")
    if not value:
        return ""
    if value.startswith(":"):
        if value[1:].isdigit() and 0 < int(value[1:]) < 65536:
            return value
        raise ImproperlyConfigured(f"{name}={value!r}: after ':' comes a port number.")
    parsed = urlsplit(value)
    try:
        parsed.port  # noqa: B018 -- raises ValueError on a port that is not a number
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={value!r} has a bad port.") from exc
    if parsed.scheme not in ("ws", "wss") or not parsed.hostname or parsed.path or parsed.query:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not an origin like wss://live.example.org or a port like :8001."
        )
    return value
