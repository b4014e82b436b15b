"""The audit trail is a hash chain built after commit: a request writes its row with the digest
of its content and no place in the chain; `audit_chain` (the task worker, `caunoi audit chain`)
chains it. Any chained row edited, removed or moved is found, and so is a waiting row edited."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from caunoi.audit.digest import content_digest, row_digest
from caunoi.audit.models import AuditChainHead, AuditEvent
from caunoi.audit.services import CHAIN, GENESIS, audit_chain, audit_record, audit_verify

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def chained_before():
    # Rows left waiting by the test database's set-up are chained first: each test starts from
    # a whole chain.
    audit_chain()


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


def chained(n: int, actor=None) -> list[AuditEvent]:
    events = record(n, actor=actor)
    assert audit_chain() == n
    return list(AuditEvent.objects.filter(pk__in=[e.pk for e in events]).order_by("position"))


def raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=AuditEvent._meta.db_table), params)


def problems(**kwargs) -> list[tuple[int | None, str]]:
    # The chain head's own problem (rows missing at the end or anywhere) is reported as None.
    return [
        (event.pk if event else None, reason.split(":")[0])
        for event, reason in audit_verify(**kwargs)
    ]


def verify_command(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("audit", "verify", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_written_row_waits_unchained_with_the_digest_of_its_content(worker):
    head_before = AuditChainHead.objects.get(name=CHAIN)
    [event] = record(1, actor=worker)
    row = AuditEvent.objects.get(pk=event.pk)
    assert row.position is None
    assert row.row_hash is None
    assert row.prev_hash == ""
    assert row.content_hash == content_digest(row)
    assert row.actor_label == worker.full_name
    # The head is not touched by a write.
    assert AuditChainHead.objects.get(name=CHAIN) == head_before
    assert AuditChainHead.objects.get(name=CHAIN).length == head_before.length
    assert problems() == []


def test_chaining_links_each_event_to_the_previous_one_and_moves_the_head(worker):
    head_before = AuditChainHead.objects.get(name=CHAIN)
    events = chained(3, actor=worker)
    assert [e.position for e in events] == [head_before.length + i for i in (1, 2, 3)]
    assert events[0].prev_hash == head_before.last_hash
    assert events[1].prev_hash == events[0].row_hash
    assert events[2].prev_hash == events[1].row_hash
    assert events[1].row_hash == row_digest(events[1], events[0].row_hash)
    assert len({e.row_hash for e in events}) == 3
    head = AuditChainHead.objects.get(name=CHAIN)
    assert head.last_hash == events[2].row_hash
    assert head.length == head_before.length + 3
    # Nothing left to do: chaining again changes nothing.
    assert audit_chain() == 0
    assert AuditChainHead.objects.get(name=CHAIN).last_hash == head.last_hash


def test_chaining_goes_in_batches_and_takes_every_waiting_row():
    events = record(7)
    assert audit_chain(batch=3) == 7
    positions = list(
        AuditEvent.objects.filter(pk__in=[e.pk for e in events])
        .order_by("position")
        .values_list("position", flat=True)
    )
    head = AuditChainHead.objects.get(name=CHAIN)
    assert positions == list(range(head.length - 6, head.length + 1))
    assert problems() == []


def test_the_genesis_hash_starts_the_chain():
    first = AuditEvent.objects.order_by("position").first()
    assert first is not None
    assert first.position == 1
    assert first.prev_hash == GENESIS


def test_an_intact_chain_has_no_problems_and_the_command_says_so():
    chained(3)
    record(2)
    assert problems() == []
    out, _err = verify_command()
    assert "chain intact; 2 waiting to be chained" in out


def test_the_chain_command_chains_what_waits():
    events = record(2)
    out = io.StringIO()
    call_command("audit", "chain", stdout=out)
    assert "2 audit events chained" in out.getvalue()
    assert not AuditEvent.objects.filter(pk__in=[e.pk for e in events], position=None).exists()
    assert "waiting" not in verify_command()[0]


@pytest.mark.parametrize(
    ("column", "value"),
    [("object_label", "something else"), ("purpose", "other purpose"), ("action", "delete")],
)
def test_an_edited_row_is_reported(column, value):
    events = chained(3)
    target = events[1]
    raw(f"UPDATE {{table}} SET {column} = %s WHERE id = %s", [value, target.pk])
    assert problems() == [(target.pk, "content changed")]


def test_an_edited_detail_is_reported():
    events = chained(2)
    AuditEvent.objects.filter(pk=events[0].pk).update(detail={"i": 99})
    assert problems() == [(events[0].pk, "content changed")]


@pytest.mark.parametrize(
    ("column", "value"),
    [("object_label", "something else"), ("purpose", "other purpose"), ("ip_address", "10.0.0.9")],
)
def test_an_edited_row_that_waits_to_be_chained_is_reported(column, value):
    events = record(3)
    raw(f"UPDATE {{table}} SET {column} = %s WHERE id = %s", [value, events[1].pk])
    assert problems() == [(events[1].pk, "content changed (not chained yet)")]


def test_a_row_edited_before_it_was_chained_is_still_reported_once_chained():
    events = record(2)
    raw("UPDATE {table} SET purpose = %s WHERE id = %s", ["tampered", events[0].pk])
    audit_chain()
    # Its row hash covers what it says now, but its content hash still says what it said.
    assert problems() == [(events[0].pk, "content changed")]


def test_deleted_row_breaks_the_link_of_the_next_one():
    events = chained(3)

    raw("DELETE FROM {table} WHERE id = %s", [events[1].pk])

    head = [(None, p[1]) for p in problems() if p[0] is None]
    assert problems() == [(events[2].pk, "broken link"), *head]
    assert len(head) == 1
    assert head[0][1].startswith("chain ends after")


def test_rows_swapped_in_the_chain_break_their_links():
    events = chained(4)
    a, b = events[1], events[2]
    # Move b into a's place and a into b's (through a free position: positions are unique).
    raw("UPDATE {table} SET position = -1 WHERE id = %s", [a.pk])
    raw("UPDATE {table} SET position = %s WHERE id = %s", [a.position, b.pk])
    raw("UPDATE {table} SET position = %s WHERE id = %s", [b.position, a.pk])
    assert problems() == [
        (b.pk, "broken link"),
        (a.pk, "broken link"),
        (events[3].pk, "broken link"),
    ]


def test_rehashed_forgery_still_breaks_the_next_link():
    # A forger who recomputes the edited row's own hashes still cannot keep the next link.
    events = chained(3)
    forged = AuditEvent.objects.get(pk=events[1].pk)
    forged.object_label = "forged"
    raw(
        "UPDATE {table} SET object_label = %s, row_hash = %s, content_hash = %s WHERE id = %s",
        ["forged", row_digest(forged, forged.prev_hash), content_digest(forged), forged.pk],
    )

    assert problems() == [(events[2].pk, "broken link")]


def test_a_row_removed_and_the_rest_rehashed_leaves_a_gap_in_the_positions():
    # A forger who removes a row and rewrites every hash after it (and the head) still leaves
    # the positions, which are unique and given once: the gap is found.
    events = chained(3)
    raw("DELETE FROM {table} WHERE id = %s", [events[1].pk])
    previous = events[0].row_hash or ""
    for event in events[2:]:
        row = AuditEvent.objects.get(pk=event.pk)
        previous_new = row_digest(row, previous)
        raw(
            "UPDATE {table} SET prev_hash = %s, row_hash = %s WHERE id = %s",
            [previous, previous_new, row.pk],
        )
        previous = previous_new
    AuditChainHead.objects.filter(name=CHAIN).update(last_hash=previous)

    found = problems()
    assert found[0] == (events[2].pk, f"gap in the chain before position {events[2].position}")
    assert len(found) == 2
    assert found[1][0] is None
    assert found[1][1].startswith("chain ends after")


def test_deleted_newest_row_is_reported():
    events = chained(3)
    raw("DELETE FROM {table} WHERE id = %s", [events[-1].pk])
    found = problems()
    assert len(found) == 1
    assert found[0][0] is None
    assert found[0][1].startswith("chain ends after")


def test_the_command_fails_loudly_on_a_broken_chain():
    events = chained(2)
    raw("UPDATE {table} SET purpose = %s WHERE id = %s", ["tampered", events[0].pk])
    with pytest.raises(CommandError, match="fail the check"):
        verify_command()


def test_a_row_left_unchained_too_long_fails_the_check():
    [event] = record(1)
    AuditEvent.objects.filter(pk=event.pk).update(at=event.at - timedelta(minutes=30))
    # Its digest covers its time: the stale row is made honestly, as if written 30 minutes ago.
    stale = AuditEvent.objects.get(pk=event.pk)
    AuditEvent.objects.filter(pk=event.pk).update(content_hash=content_digest(stale))

    found = problems()
    assert found == [(None, "1 events not chained, the oldest for 30 minutes")]
    assert problems(tail_max_age=None) == []
    with pytest.raises(CommandError, match="fail the check"):
        verify_command()
    assert "1 waiting to be chained" in verify_command("--tail-minutes", "45")[0]
    audit_chain()
    assert problems() == []


def test_a_row_chained_already_is_never_chained_again():
    # The last guard behind the head's lock: the write takes only rows still unchained, and a
    # batch that finds fewer is rolled back whole.
    from django.db import IntegrityError

    from caunoi.audit.services import _chain_rows

    [done] = chained(1)
    [fresh] = record(1)
    done.position, fresh.position = 10_001, 10_002
    with pytest.raises(IntegrityError, match="wrote 1 of 2 rows"), transaction.atomic():
        _chain_rows([fresh, done])
    assert AuditEvent.objects.get(pk=fresh.pk).position is None
    assert problems() == []


def old_server_append(i: int) -> AuditEvent:
    """A row as a server of the previous version writes it: linked to the head under its lock,
    the head moved, no position and no content digest (an upgrade, after migration 0004)."""
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().get(name=CHAIN)
        event = AuditEvent(
            at=timezone.now(),
            action="view",
            object_type="tests.thing",
            object_id=f"old-{i}",
            object_label=f"old {i}",
            purpose="test",
            detail={},
            prev_hash=head.last_hash,
        )
        event.row_hash = row_digest(event, head.last_hash)
        event.save(force_insert=True)
        head.last_hash = event.row_hash
        head.length += 1
        head.save(update_fields=["last_hash", "length"])
    return event


def test_rows_linked_by_a_previous_version_during_an_upgrade_are_numbered_not_rewritten():
    chained(2)
    old_first = old_server_append(1)  # the old server links a row…
    record(2)  # …new servers write theirs…
    assert audit_chain() == 2  # …and the new worker chains them after it
    old_second = old_server_append(2)
    record(1)
    assert audit_chain() == 1
    for event in (old_first, old_second):
        stored = AuditEvent.objects.get(pk=event.pk)
        # Numbered in place, its hashes untouched.
        assert stored.row_hash == event.row_hash
        assert stored.prev_hash == event.prev_hash
        assert stored.position is not None
    head = AuditChainHead.objects.get(name=CHAIN)
    positions = sorted(p or 0 for p in AuditEvent.objects.values_list("position", flat=True))
    assert positions == list(range(1, head.length + 1))
    assert problems() == []


def test_verify_reads_the_trail_page_by_page_and_still_finds_a_change(monkeypatch):
    from caunoi.audit import services

    monkeypatch.setattr(services, "VERIFY_PAGE", 2)
    events = chained(5)
    record(3)  # waiting rows, read page by page too
    assert problems() == []
    raw("UPDATE {table} SET object_label = 'changed' WHERE id = %s", [events[3].pk])
    assert problems() == [(events[3].pk, "content changed")]


def test_healthz_fails_when_rows_wait_too_long_to_be_chained():
    from django.test import Client

    from caunoi.core.models import WorkerHeartbeat

    WorkerHeartbeat.objects.create(worker_id="w-audit", host="app-1", pid=1)
    waiting = record(2)
    body = Client().get("/healthz").json()
    assert body["checks"]["audit_chain"] == {
        "ok": True,
        "required": True,
        "waiting": 2,
        "age_s": body["checks"]["audit_chain"]["age_s"],
        "ms": body["checks"]["audit_chain"]["ms"],
    }
    AuditEvent.objects.filter(pk=waiting[0].pk).update(at=timezone.now() - timedelta(minutes=11))
    response = Client().get("/healthz")
    assert response.status_code == 503
    check = response.json()["checks"]["audit_chain"]
    assert check["ok"] is False
    assert check["waiting"] == 2
    assert check["error"].startswith("CheckFailed: 2 audit events wait to be chained")
    # The load balancer's check does not take the web server out for it.
    assert Client().get("/healthz?for=lb").status_code == 200
