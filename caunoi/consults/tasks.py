from __future__ import annotations

from django.tasks import task

from caunoi.consults.services import consultation_escalate


@task()
def consultation_deadline_check(consultation_id: int) -> bool:
    """Scheduled at submission with ``run_after`` = the answer deadline (no polling loop).
    Safe to run twice (at-least-once worker): the consult is locked and left alone once it is
    escalated, answered or closed."""
    return consultation_escalate(consultation_id=consultation_id)
