"""The chain under concurrency, on PostgreSQL with committed rows and real parallel
connections: appends from many threads while chainers run all end up chained once, with no
gap in the positions; two chainers at once never chain a row twice; a row whose id was drawn
first but committed last is chained after; and a request's audit write does not wait for the
chain's head. Each test puts the trail back as it found it (rows after the head's position at
the start are removed and the head reset), so the next test starts from a whole chain."""

import threading
from collections.abc import Callable, Iterator

import pytest
from django.db import connection, connections, transaction

from caunoi.accounts.models import User
from caunoi.audit.models import AuditChainHead, AuditEvent
from caunoi.audit.services import CHAIN, audit_chain, audit_record, audit_verify
from caunoi.patients.models import Patient
from caunoi.patients.reads import ReadLog, reads_record
from caunoi.patients.tests.factories import make_patient

pytestmark = pytest.mark.postgres


@pytest.fixture
def trail(committed_db) -> Iterator[AuditChainHead]:
    audit_chain()
    head = AuditChainHead.objects.get(name=CHAIN)
    last_id = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    yield head
    AuditEvent.objects.filter(position__gt=head.length).delete()
    AuditEvent.objects.filter(position__isnull=True, id__gt=last_id).delete()
    AuditChainHead.objects.filter(name=CHAIN).update(last_hash=head.last_hash, length=head.length)


def in_thread(target: Callable[[], object]) -> Callable[[], None]:
    """Run ``target`` with this thread's own connection, closed after."""

    def run() -> None:
        try:
            target()
        finally:
            connection.close()

    return run


def append(label: str) -> AuditEvent:
    with transaction.atomic():
        return audit_record(
            actor=None, action="view", object_type="tests.concurrent", object_id=label, purpose="t"
        )


def assert_whole_chain_after(head: AuditChainHead, expected_new: int) -> None:
    now = AuditChainHead.objects.get(name=CHAIN)
    assert now.length == head.length + expected_new
    positions = list(
        AuditEvent.objects.filter(position__gt=head.length)
        .order_by("position")
        .values_list("position", flat=True)
    )
    assert positions == list(range(head.length + 1, now.length + 1))
    assert not AuditEvent.objects.filter(position__isnull=True).exists()
    assert list(audit_verify()) == []


def test_appends_from_many_threads_while_chaining_all_end_up_chained_once(trail):
    threads, each = 8, 40
    start = threading.Barrier(threads + 2)
    appending_done = threading.Event()
    chained: list[int] = []
    errors: list[BaseException] = []

    def appender(n: int) -> Callable[[], None]:
        def run() -> None:
            start.wait()
            try:
                for i in range(each):
                    append(f"{n}-{i}")
            except BaseException as exc:
                errors.append(exc)

        return run

    def chainer(wait: bool) -> Callable[[], None]:
        def run() -> None:
            start.wait()
            try:
                while not appending_done.is_set():
                    chained.append(audit_chain(batch=25, wait=wait))
            except BaseException as exc:
                errors.append(exc)

        return run

    workers = [threading.Thread(target=in_thread(appender(n))) for n in range(threads)]
    chainers = [threading.Thread(target=in_thread(chainer(wait))) for wait in (True, False)]
    for t in workers + chainers:
        t.start()
    for t in workers:
        t.join()
    appending_done.set()
    for t in chainers:
        t.join()
    chained.append(audit_chain())

    assert errors == []
    ours = AuditEvent.objects.filter(object_type="tests.concurrent", position__gt=trail.length)
    assert ours.count() == threads * each
    assert sorted(ours.values_list("object_id", flat=True)) == sorted(
        f"{n}-{i}" for n in range(threads) for i in range(each)
    )
    # Every row chained exactly once: the chainers' counts add up to the rows written.
    assert sum(chained) == threads * each
    assert_whole_chain_after(trail, threads * each)


@pytest.mark.parametrize("wait", [True, False])
def test_two_chainers_at_once_never_chain_a_row_twice(trail, wait):
    rows = 300
    for i in range(rows):
        append(str(i))
    start = threading.Barrier(2)
    counts: list[int] = []

    def chainer() -> None:
        start.wait()
        counts.append(audit_chain(batch=20, wait=wait))

    pair = [threading.Thread(target=in_thread(chainer)) for _ in range(2)]
    for t in pair:
        t.start()
    for t in pair:
        t.join()
    counts.append(audit_chain())

    assert len(counts) == 3
    assert sum(counts) == rows
    assert_whole_chain_after(trail, rows)


def test_a_row_committed_after_a_later_id_is_chained_after_it(trail):
    drawn = threading.Event()
    go_on = threading.Event()
    first: list[AuditEvent] = []

    def slow_request() -> None:
        with transaction.atomic():
            first.append(append("drawn first, committed last"))
            drawn.set()
            go_on.wait()

    slow = threading.Thread(target=in_thread(slow_request))
    slow.start()
    drawn.wait()
    try:
        second = append("drawn second, committed first")
        # The uncommitted row is not seen: only the committed one is chained.
        assert audit_chain() == 1
    finally:
        go_on.set()
        slow.join()
    assert audit_chain() == 1

    early = AuditEvent.objects.get(pk=first[0].pk)
    late = AuditEvent.objects.get(pk=second.pk)
    assert early.pk < late.pk
    assert early.position == (late.position or 0) + 1
    assert early.prev_hash == late.row_hash
    assert_whole_chain_after(trail, 2)


def test_an_audited_service_commits_while_the_chain_head_is_locked(trail):
    worker = User.objects.get(username="worker")
    locked = threading.Event()
    release = threading.Event()

    def hold_the_head() -> None:
        with transaction.atomic():
            AuditChainHead.objects.select_for_update().get(name=CHAIN)
            locked.set()
            release.wait()

    holder = threading.Thread(target=in_thread(hold_the_head))
    holder.start()
    locked.wait()
    patient = None
    try:
        with transaction.atomic():
            # Were the request to wait for the head, it would fail here instead of hanging.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            # A real audited service (registration and consent) and the read audit of a page.
            patient = make_patient(worker, name="Lò Văn Khóa")
            log = ReadLog()
            log.note(Patient, "", "care", [patient.pk])
            reads_record(log, actor=worker)
        # Committed: another connection sees the rows while the head is still locked.
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute(
                    f"SELECT count(*) FROM {AuditEvent._meta.db_table} "
                    "WHERE object_id = %s AND position IS NULL",
                    [str(patient.public_id)],
                )
                assert cursor.fetchone()[0] >= 2
        finally:
            other.close()
        assert holder.is_alive()
    finally:
        release.set()
        holder.join()
    assert audit_chain() >= 3
    assert list(audit_verify()) == []
    if patient is not None:
        patient.consents.all().delete()
        patient.delete()
