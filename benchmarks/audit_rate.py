"""Audited reads per second on PostgreSQL: processes writing the read audit of a patient page
(``patients.reads.reads_record``: the patients read, then the audit row, in one transaction,
each on a kept connection), with the audit chain built as it was before (the chain's head
locked in every request's transaction: ``--design locked``) and as it is now (rows written
without a lock, chained by a task worker's job every second: ``--design unlocked``), in the
same run.

    createdb caunoi_bench   # then: caunoi migrate && caunoi seed (the demo network)
    DATABASE_URL=postgres://postgres@127.0.0.1/caunoi_bench .venv/bin/python benchmarks/audit_rate.py
    DATABASE_URL=... .venv/bin/python benchmarks/audit_rate.py --processes 16 --seconds 20
    DATABASE_URL=... .venv/bin/python benchmarks/audit_rate.py --rows 10

``--rows 10``: each transaction writes its read audit and nine more audit rows, as a consult
page with its ten audit writes does (the locked design holds the head from the first to the
commit).

The locked design is reproduced here, in the benchmark only, exactly as ``audit_record`` did
it before (lock the head, hash the row on the head's hash, insert, move the head, all until
the caller commits); its rows get their position in the same step, so the trail stays whole
and `caunoi audit verify` passes after the run. The unlocked run has one chaining process
beside the readers (as a `caunoi worker` would), on the same two cores; the figure printed
after it is how long the rows it left waiting took to be chained. The CPU used per transaction
(the readers, their PostgreSQL backends and the chaining, from /proc) gives what two cores would
carry without the other load on a shared machine.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import time
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caunoi.config.settings")
import django

django.setup()

from django.db import connection, connections, transaction
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.audit.digest import content_digest, row_digest
from caunoi.audit.models import AuditChainHead, AuditEvent
from caunoi.audit.origin import AuditOrigin
from caunoi.audit.services import CHAIN, audit_chain, audit_tail, audit_verify
from caunoi.patients import reads
from caunoi.patients.models import Patient
from caunoi.patients.reads import ReadLog, reads_record

ORIGIN = AuditOrigin(ip_address="10.1.2.3", view="patients:detail", method="GET")


def locked_audit_record(*, actor: Any, action: str, **fields: Any) -> AuditEvent:
    """The audit write before the chain was built after commit: the head's row lock, taken in
    the caller's transaction and held until it commits, orders every append."""
    origin = fields.pop("origin")
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().get(name=CHAIN)
        event = AuditEvent(
            at=timezone.now(),
            actor_id=actor.pk,
            actor_label=(actor.get_full_name() or actor.get_username())[:200],
            action=action,
            object_type=fields["object_type"],
            object_id=fields["object_id"],
            object_label=fields["object_label"][:300],
            purpose=fields["purpose"][:200],
            detail=fields["detail"] or {},
            ip_address=origin.ip_address,
            prev_hash=head.last_hash,
            position=head.length + 1,
        )
        event.content_hash = content_digest(event)
        event.row_hash = row_digest(event, head.last_hash)
        event.save(force_insert=True)
        head.last_hash = event.row_hash
        head.length += 1
        head.save(update_fields=["last_hash", "length"])
    return event


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds() -> tuple[float, float]:
    """CPU used so far by this process and by its PostgreSQL backend (same machine: /proc)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return time.process_time(), (int(fields[11]) + int(fields[12])) / TICK


def consult_like_transaction(log: ReadLog, user: User, rows: int) -> None:
    with transaction.atomic():
        reads_record(log, actor=user, origin=ORIGIN)
        for i in range(rows - 1):
            reads.audit_record(
                actor=user,
                action="view",
                object_type="consults.consultation",
                object_id=str(i),
                object_label="",
                purpose="care",
                detail={"step": i},
                origin=ORIGIN,
            )


def reader(
    design: str,
    rows: int,
    user_pk: int,
    patient_pks: list[int],
    start: Any,
    seconds: float,
    out: Any,
) -> None:
    connections.close_all()
    if design == "locked":
        reads.audit_record = locked_audit_record  # type: ignore[assignment]
    user = User.objects.get(pk=user_pk)
    n = 0
    times: list[float] = []
    # The connection is opened and warmed before the clock starts.
    Patient.objects.filter(pk=patient_pks[0]).exists()
    start.wait()
    app0, pg0 = cpu_seconds()
    until = time.perf_counter() + seconds
    while (began := time.perf_counter()) < until:
        log = ReadLog()
        log.note(Patient, "", "care", [patient_pks[n % len(patient_pks)]])
        if rows == 1:
            # As the middleware writes it: its own transaction.
            reads_record(log, actor=user, origin=ORIGIN)
        else:
            consult_like_transaction(log, user, rows)
        times.append(time.perf_counter() - began)
        n += 1
    app1, pg1 = cpu_seconds()
    connection.close()
    out.put((times, app1 - app0, pg1 - pg0))


def chainer(start: Any, stop: Any, out: Any) -> None:
    """A task worker's audit job: chain what has committed, every second."""
    connections.close_all()
    start.wait()
    app0, pg0 = cpu_seconds()
    chained = 0
    while not stop.wait(1.0):
        chained += audit_chain(wait=False)
    app1, pg1 = cpu_seconds()
    connection.close()
    out.put((chained, app1 - app0 + pg1 - pg0))


def run(
    design: str, rows: int, processes: int, seconds: float, user_pk: int, patients: list[int]
) -> None:
    ctx = multiprocessing.get_context("fork")
    connections.close_all()
    start = ctx.Barrier(processes + 1 + (design == "unlocked"))
    stop = ctx.Event()
    out = ctx.Queue()
    chained_out = ctx.Queue()
    before = AuditEvent.objects.count()
    connections.close_all()
    procs = [
        ctx.Process(target=reader, args=(design, rows, user_pk, patients, start, seconds, out))
        for _ in range(processes)
    ]
    if design == "unlocked":
        procs.append(ctx.Process(target=chainer, args=(start, stop, chained_out)))
    for p in procs:
        p.start()
    start.wait()
    began = time.perf_counter()
    times: list[float] = []
    app_cpu = pg_cpu = 0.0
    for _ in range(processes):
        their_times, app, pg = out.get()
        times.extend(their_times)
        app_cpu += app
        pg_cpu += pg
    elapsed = time.perf_counter() - began
    stop.set()
    chained, chain_cpu = chained_out.get() if design == "unlocked" else (0, 0.0)
    for p in procs:
        p.join()
    written = AuditEvent.objects.count() - before
    assert written == len(times) * rows, (written, len(times))
    times.sort()
    p50 = statistics.median(times) * 1000
    p99 = times[int(len(times) * 0.99)] * 1000
    what = "audited reads/s" if rows == 1 else f"transactions/s of {rows} audit rows"
    print(
        f"{design:>9}: {len(times) / elapsed:7,.0f} {what}  ({len(times):,} in "
        f"{elapsed:.1f} s, {processes} processes)  p50 {p50:.1f} ms  p99 {p99:.1f} ms"
    )
    per = 1000 / len(times)
    cpu = app_cpu + pg_cpu + chain_cpu
    print(
        f"           CPU per transaction: app {app_cpu * per:.2f} ms + PostgreSQL "
        f"{pg_cpu * per:.2f} ms + chaining {chain_cpu * per:.2f} ms = {cpu * per:.2f} ms: "
        f"two free cores would carry ~{2 * len(times) / cpu:,.0f}/s"
    )
    if design == "unlocked":
        waiting = audit_tail().count
        started = time.perf_counter()
        rest = audit_chain()
        print(
            f"           chained by the worker's job during the run: {chained:,}; left waiting "
            f"at the end: {waiting:,}, chained in {(time.perf_counter() - started) * 1000:.0f} ms"
            f" ({rest:,})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--design", choices=["both", "locked", "unlocked"], default="both")
    parser.add_argument("--rows", type=int, default=1, help="Audit rows per transaction.")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database with `caunoi seed`.")
    user = User.objects.get(username="worker")
    patients = list(Patient.objects.order_by("pk").values_list("pk", flat=True)[:50])
    if not patients:
        raise SystemExit("No patients: run `caunoi seed` first.")
    audit_chain()
    designs = ["locked", "unlocked"] if args.design == "both" else [args.design]
    for design in designs:
        run(design, args.rows, args.processes, args.seconds, user.pk, patients)
    problems = list(audit_verify())
    print(f"audit verify after the runs: {len(problems)} problems")


if __name__ == "__main__":
    main()
