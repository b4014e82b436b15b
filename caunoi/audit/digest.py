"""The two SHA-256 digests of an audit row. Both are evidence: a row written years ago is
checked with these same functions, so they never change (a new formula would need a version
stored beside the row).

- ``content_digest``: the row's own fields, computed when the row is written (no lock).
- ``row_digest``: the previous row's hash and the same fields, computed when the row is chained.
  Rows chained before the chain position existed used exactly this formula, so their hashes
  still verify.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Protocol


class AuditContent(Protocol):
    """The fields of an audit row that its digests cover (``AuditEvent`` and its migration
    state both have them)."""

    at: datetime
    actor_id: Any
    actor_label: str
    action: str
    object_type: str
    object_id: str
    object_label: str
    purpose: str
    detail: Any
    ip_address: str | None


def _fields(event: AuditContent) -> list[Any]:
    return [
        event.at.isoformat(),
        event.actor_id,
        event.actor_label,
        event.action,
        event.object_type,
        event.object_id,
        event.object_label,
        event.purpose,
        event.detail,
        event.ip_address,
    ]


def _sha256(payload: list[Any]) -> str:
    encoded = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def content_digest(event: AuditContent) -> str:
    return _sha256(_fields(event))


def row_digest(event: AuditContent, prev_hash: str) -> str:
    return _sha256([prev_hash, *_fields(event)])
