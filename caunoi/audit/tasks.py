"""The audit trail's background work: chaining the rows requests have written (the task
worker runs ``audit_chain_soon`` every second or so, `caunoi.core.periodic`)."""

from __future__ import annotations

from caunoi.audit.models import AuditEvent
from caunoi.audit.services import audit_chain


def audit_chain_soon() -> int:
    """Chain what has committed since the last run. Safe in several workers at once: one that
    finds the chain's head locked leaves the work to the one holding it (it chains everything
    committed when it reads) and tries again next time."""
    # Most seconds nothing waits: look (an index read) before locking the head, which would
    # write a row lock every second for nothing.
    if not AuditEvent.objects.filter(position__isnull=True).exists():
        return 0
    return audit_chain(wait=False)
