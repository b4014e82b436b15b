"""The task worker chains what requests write: `caunoi worker` runs the audit chaining beside
its tasks (registered by the audit app in `core.periodic`), so nothing waits for a person to
run `caunoi audit chain`. Committed rows, the worker in-process (``--batch``)."""

from django.core.management import call_command
from django.db import transaction

from caunoi.audit.models import AuditChainHead, AuditEvent
from caunoi.audit.services import CHAIN, audit_chain, audit_record, audit_verify
from caunoi.core.models import WorkerHeartbeat
from caunoi.core.periodic import JOBS


def test_the_audit_app_registers_its_chaining_with_the_worker():
    assert "audit chain" in JOBS


def test_the_worker_chains_the_rows_written_before_it_stops(committed_db):
    audit_chain()
    head = AuditChainHead.objects.get(name=CHAIN)
    with transaction.atomic():
        written = [
            audit_record(actor=None, action="view", object_type="tests.worker", object_id=str(i))
            for i in range(3)
        ]
    assert AuditEvent.objects.filter(position__isnull=True).count() == 3
    try:
        call_command("worker", batch=True, interval=0.1)

        positions = list(
            AuditEvent.objects.filter(pk__in=[e.pk for e in written])
            .order_by("position")
            .values_list("position", flat=True)
        )
        assert positions == [head.length + 1, head.length + 2, head.length + 3]
        assert AuditChainHead.objects.get(name=CHAIN).length == head.length + 3
        assert list(audit_verify()) == []
    finally:
        # Put the trail back as it was (the rows after the head's position at the start).
        AuditEvent.objects.filter(position__gt=head.length).delete()
        AuditEvent.objects.filter(pk__in=[e.pk for e in written]).delete()
        AuditChainHead.objects.filter(name=CHAIN).update(
            last_hash=head.last_hash, length=head.length
        )
        WorkerHeartbeat.objects.all().delete()


def test_the_worker_job_chains_what_waits_and_leaves_a_whole_chain_alone(db):
    from caunoi.audit.tasks import audit_chain_soon

    audit_chain()
    head = AuditChainHead.objects.get(name=CHAIN)
    assert audit_chain_soon() == 0
    with transaction.atomic():
        audit_record(actor=None, action="view", object_type="tests.worker")
    assert audit_chain_soon() == 1
    assert AuditChainHead.objects.get(name=CHAIN).length == head.length + 1
