"""The audit trail is a hash chain: any row edited or removed afterwards is found."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from caunoi.audit.models import AuditChainHead, AuditEvent
from caunoi.audit.services import CHAIN, GENESIS, audit_record, audit_verify

pytestmark = pytest.mark.django_db


def record(n: int, actor=None) -> list[AuditEvent]:
    events = []
    for i in range(n):
        with transaction.atomic():
            events.append(
                audit_record(
                    actor=actor,
                    action="view",
                    object_type="tests.thing",
                    object_id=str(i),
                    object_label=f"thing {i}",
                    purpose="test",
                    detail={"i": i, "note": "Lũng Cú"},
                )
            )
    return events


def raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=AuditEvent._meta.db_table), params)


def problems() -> list[tuple[int | None, str]]:
    # The chain head's own problem (rows missing at the end or anywhere) is reported as None.
    return [(event.pk if event else None, reason.split(":")[0]) for event, reason in audit_verify()]


def verify_command() -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("audit", "verify", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_each_event_links_to_the_previous_one_and_moves_the_head(worker):
    head_before = AuditChainHead.objects.get(name=CHAIN)
    events = record(3, actor=worker)
    assert events[0].prev_hash == head_before.last_hash
    assert events[1].prev_hash == events[0].row_hash
    assert events[2].prev_hash == events[1].row_hash
    assert len({e.row_hash for e in events}) == 3
    head = AuditChainHead.objects.get(name=CHAIN)
    assert head.last_hash == events[2].row_hash
    assert head.length == head_before.length + 3
    assert events[0].actor_label == worker.full_name


def test_the_genesis_hash_starts_the_chain():
    first = AuditEvent.objects.order_by("id").first()
    assert first is not None
    assert first.prev_hash == GENESIS


def test_an_intact_chain_has_no_problems_and_the_command_says_so():
    record(3)
    assert problems() == []
    out, _err = verify_command()
    assert "chain intact" in out


@pytest.mark.parametrize(
    ("column", "value"),
    [("object_label", "something else"), ("purpose", "other purpose"), ("action", "delete")],
)
def test_an_edited_row_is_reported(column, value):
    events = record(3)
    target = events[1]
    raw(f"UPDATE {{table}} SET {column} = %s WHERE id = %s", [value, target.pk])
    assert problems() == [(target.pk, "content changed")]


def test_an_edited_detail_is_reported():
    events = record(2)
    AuditEvent.objects.filter(pk=events[0].pk).update(detail={"i": 99})
    assert problems() == [(events[0].pk, "content changed")]


def test_deleted_row_breaks_the_link_of_the_next_one():
    events = record(3)

    raw("DELETE FROM {table} WHERE id = %s", [events[1].pk])

    head = [(None, p[1]) for p in problems() if p[0] is None]
    assert problems() == [(events[2].pk, "broken link"), *head]
    assert len(head) == 1
    assert head[0][1].startswith("chain ends after")


def test_rehashed_forgery_still_breaks_the_next_link():
    # A forger who recomputes the edited row's own hash still cannot keep the next link.
    from caunoi.audit.services import _row_digest

    events = record(3)
    forged = AuditEvent.objects.get(pk=events[1].pk)
    forged.object_label = "forged"
    new_hash = _row_digest(forged)
    raw(
        "UPDATE {table} SET object_label = %s, row_hash = %s WHERE id = %s",
        ["forged", new_hash, forged.pk],
    )

    assert problems() == [(events[2].pk, "broken link")]


def test_deleted_newest_row_is_reported():
    events = record(3)
    raw("DELETE FROM {table} WHERE id = %s", [events[-1].pk])
    found = problems()
    assert len(found) == 1
    assert found[0][0] is None
    assert found[0][1].startswith("chain ends after")


def test_the_command_fails_loudly_on_a_broken_chain():
    events = record(2)
    raw("UPDATE {table} SET purpose = %s WHERE id = %s", ["tampered", events[0].pk])
    with pytest.raises(CommandError, match="fail the check"):
        verify_command()
