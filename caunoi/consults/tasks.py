from __future__ import annotations

from django.tasks import task

from caunoi.consults.services import consultation_escalate, pending_uploads_expire


@task()
def consultation_deadline_check(consultation_id: int) -> bool:
    """Scheduled at submission with ``run_after`` = the answer deadline (no polling loop).
    Safe to run twice (at-least-once worker): the consult is locked and left alone once it is
    escalated, answered or closed."""
    return consultation_escalate(consultation_id=consultation_id)


@task()
def pending_uploads_expire_task() -> int:
    """Scheduled when files are kept for a consult form that came back with an error, with
    ``run_after`` = when they expire: removes every kept file past its time (the form was never
    sent again). Safe to run twice or late."""
    return pending_uploads_expire()


@task()
def resumable_uploads_expire_task() -> int:
    """Scheduled when a resumable upload is created, with ``run_after`` = when it expires:
    removes every upload past its time and its bytes. Safe to run twice or late."""
    from caunoi.consults.resumable import resumable_expire

    return resumable_expire()
