"""The audit trail's part of /healthz: rows written but waiting too long to be chained mean the
task worker's chaining has stopped (a worker that beats but cannot chain, for instance)."""

from __future__ import annotations

from typing import Any

from caunoi.audit.services import TAIL_MAX_AGE, audit_tail
from caunoi.core.health import CheckFailed


def check_audit_chain() -> dict[str, Any]:
    tail = audit_tail()
    age = round(tail.age().total_seconds(), 1)
    if tail.oldest_at is not None and tail.age() > TAIL_MAX_AGE:
        raise CheckFailed(
            f"{tail.count} audit events wait to be chained, the oldest for {age:g} s "
            f"(limit {TAIL_MAX_AGE.total_seconds():g} s)",
            waiting=tail.count,
            age_s=age,
        )
    return {"waiting": tail.count, "age_s": age}
