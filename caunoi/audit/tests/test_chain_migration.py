"""Migration 0004 on a trail chained by the old code (every row hashed in the request under the
head's lock, no position, no content digest): its rows are numbered in id order, keep their
hashes, and `audit verify` passes on them and on the rows chained after them. The real
migration is run on PostgreSQL with a chain written by the old code (see the README); here
its two functions run on rows written exactly as the old ``audit_record`` wrote them."""

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.exceptions import IrreversibleError
from django.utils import timezone

from caunoi.audit.digest import content_digest, row_digest
from caunoi.audit.models import AuditChainHead, AuditEvent
from caunoi.audit.services import CHAIN, GENESIS, audit_chain, audit_record, audit_verify

pytestmark = pytest.mark.django_db

migration = importlib.import_module("caunoi.audit.migrations.0004_number_chained_rows")


class Editor:
    """What the migration's functions use of a schema editor."""

    connection = connection

    def execute(self, sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)


def old_audit_record(pk: int, label: str) -> AuditEvent:
    """A row as the code before 0003 wrote it."""
    head = AuditChainHead.objects.get(name=CHAIN)
    event = AuditEvent(
        pk=pk,
        at=timezone.now(),
        action="view",
        object_type="tests.thing",
        object_label=label,
        purpose="test",
        detail={"note": "Mèo Vạc"},
        prev_hash=head.last_hash,
    )
    event.row_hash = row_digest(event, head.last_hash)
    event.save(force_insert=True)
    head.last_hash = event.row_hash
    head.length += 1
    head.save()
    return event


@pytest.fixture
def old_trail():
    AuditEvent.objects.all().delete()
    AuditChainHead.objects.filter(name=CHAIN).update(last_hash=GENESIS, length=0)
    # Ids with gaps, as a sequence leaves them after rolled-back transactions.
    return [old_audit_record(pk, f"old {pk}") for pk in (10, 11, 15, 16, 40)]


def rows() -> list[tuple[int, int | None, str | None]]:
    return list(AuditEvent.objects.order_by("id").values_list("id", "position", "row_hash"))


def test_old_rows_are_numbered_in_id_order_and_keep_their_hashes(old_trail):
    migration.number_chained_rows(apps, Editor())

    assert rows() == [(e.pk, i, e.row_hash) for i, e in enumerate(old_trail, start=1)]
    assert list(audit_verify()) == []
    # The new code chains on after them.
    new = audit_record(actor=None, action="view", object_type="tests.thing", purpose="test")
    assert audit_chain() == 1
    new.refresh_from_db()
    assert (new.position, new.prev_hash) == (6, old_trail[-1].row_hash)
    assert list(audit_verify()) == []


def test_an_old_chain_broken_before_the_migration_is_still_reported(old_trail):
    AuditEvent.objects.filter(pk=old_trail[2].pk).update(object_label="changed")
    migration.number_chained_rows(apps, Editor())
    assert [(e and e.pk, reason) for e, reason in audit_verify()] == [(15, "content changed")]


def test_going_back_chains_the_waiting_rows_and_leaves_an_id_ordered_chain(old_trail):
    migration.number_chained_rows(apps, Editor())
    waiting = audit_record(actor=None, action="view", object_type="tests.thing", purpose="t")

    migration.unnumber_rows(apps, Editor())

    assert not AuditEvent.objects.filter(position__isnull=False).exists()
    waiting.refresh_from_db()
    assert waiting.prev_hash == old_trail[-1].row_hash
    # What the old verify did: walk by id, each row linked to the one before.
    previous = GENESIS
    for event in AuditEvent.objects.order_by("id"):
        assert event.prev_hash == previous
        assert event.row_hash == row_digest(event, previous)
        previous = event.row_hash
    assert AuditChainHead.objects.get(name=CHAIN).last_hash == previous


def test_going_back_is_refused_when_rows_were_chained_out_of_id_order(old_trail):
    migration.number_chained_rows(apps, Editor())
    # Ids are drawn before commit: id 60 commits (and is chained) before id 50.
    for pk in (60, 50):
        event = AuditEvent(pk=pk, at=timezone.now(), action="view", object_type="tests.thing")
        event.content_hash = content_digest(event)
        event.save(force_insert=True)
        audit_chain()
    assert (
        AuditEvent.objects.get(pk=50).position == (AuditEvent.objects.get(pk=60).position or 0) + 1
    )
    # In position order the chain holds; in id order (the old verify's) it would not.
    assert list(audit_verify()) == []

    with pytest.raises(IrreversibleError, match="out of id order"):
        migration.unnumber_rows(apps, Editor())
