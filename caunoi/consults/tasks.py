from __future__ import annotations

from django.tasks import task

from caunoi.consults.services import consultation_escalate


@task()
def consultation_deadline_check(consultation_id: int) -> bool:
    """Scheduled at submission with ``run_after`` = the answer deadline (no polling loop)."""
    return consultation_escalate(consultation_id=consultation_id)
