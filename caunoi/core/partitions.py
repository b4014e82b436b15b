"""Monthly partitions of the tables that only grow (timeline events, notifications, the audit
trail) on PostgreSQL: a month's rows sit in a table of their own, so the recent months that
pages read stay small and hot, and an old month can be archived or dropped whole.

A migration turns an existing table into a partitioned one with ``partition_by_month`` (a
``RunPython`` step; nothing happens on SQLite): the rows already there stay where they are and
become the first partition, for everything before the next month; new months get their own
partitions, made ahead by ``ensure_monthly_partitions`` (after the migration, and by the task
worker every day); a default partition takes any row no month partition covers, so an insert
never fails because a partition was not made in time. Django keeps seeing one table: its primary
key stays ``id`` for the ORM, while PostgreSQL's is (``id``, time) — a partitioned table's
unique keys must include the partitioning column — and a unique column other than ``id`` (a
``public_id``) keeps an ordinary index: uuid4 values do not collide. A later migration that
alters such a field's uniqueness, or adds a foreign key to one of these tables, must be written
by hand for PostgreSQL (Django expects the constraints it made); indexes are still added to the
parent as usual (not ``CONCURRENTLY``).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any

from django.db import DatabaseError, transaction
from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper

log = logging.getLogger("caunoi.partitions")

# Months ahead of the current one whose partitions are kept ready.
AHEAD = 3


def _month(day: date, offset: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + offset
    return date(index // 12, index % 12 + 1, 1)


def _bound(day: date) -> str:
    return datetime(day.year, day.month, 1, tzinfo=UTC).isoformat()


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def partition_by_month(connection: BaseDatabaseWrapper, table: str, column: str) -> None:
    """Turn ``table`` into a table partitioned by month on ``column`` (a non-null timestamp),
    keeping its rows, indexes, foreign keys and id sequence. Safe to run again."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relkind FROM pg_class c WHERE c.oid = to_regclass(%s)", [table])
        row = cursor.fetchone()
        if row is None or row[0] == "p":
            return
        legacy = f"{table}_p_before"[:63]
        cursor.execute(f"LOCK TABLE {_q(table)} IN ACCESS EXCLUSIVE MODE")
        # The id: an identity column cannot stay on a partition of a table without one
        # (PostgreSQL < 17), so it becomes a sequence default, continuing where it was.
        sequence = f"{table}_id_seq"[:63]
        cursor.execute(
            "SELECT attidentity FROM pg_attribute WHERE attrelid = %s::regclass AND attname = 'id'",
            [table],
        )
        if cursor.fetchone()[0]:
            cursor.execute(f"ALTER TABLE {_q(table)} ALTER COLUMN id DROP IDENTITY")
        cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {_q(sequence)} AS bigint")
        cursor.execute(
            f"SELECT setval(%s, coalesce((SELECT max(id) FROM {_q(table)}), 0) + 1, false)",  # noqa: S608 (names from migrations)
            [sequence],
        )
        cursor.execute(
            f"ALTER TABLE {_q(table)} ALTER COLUMN id SET DEFAULT nextval(%s::regclass)",
            [sequence],
        )
        # What the parent must have again: its indexes and foreign keys, read off the table.
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid), x.indisunique, x.indisprimary, "
            " ARRAY(SELECT a.attname FROM pg_attribute a "
            "       WHERE a.attrelid = x.indrelid AND a.attnum = ANY(x.indkey)) "
            "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass",
            [table],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'u'",
            [table],
        )
        unique_constraints = [name for (name,) in cursor.fetchall()]

        # The old table becomes the first partition: its indexes give up their names to the
        # parent's (partition indexes are attached to the parent's by definition, not name).
        cursor.execute(f"ALTER TABLE {_q(table)} RENAME TO {_q(legacy)}")
        for name, *_rest in indexes:
            cursor.execute(f"ALTER INDEX {_q(name)} RENAME TO {_q((name + '_old')[:63])}")
        # Its primary key (id) gives way to the parent's (id, time), made on it when attached;
        # a table that other tables' foreign keys point to cannot be converted (this fails).
        for name, _definition, _unique, primary, _columns in indexes:
            if primary:
                cursor.execute(
                    f"ALTER TABLE {_q(legacy)} DROP CONSTRAINT {_q((name + '_old')[:63])}"
                )
        for name in unique_constraints:
            # A unique constraint's index was renamed with it; the constraint is dropped so
            # that the partition matches the parent (an ordinary index takes its place).
            cursor.execute(
                f"ALTER TABLE {_q(legacy)} DROP CONSTRAINT IF EXISTS {_q((name + '_old')[:63])}"
            )
        cursor.execute(
            f"CREATE TABLE {_q(table)} "
            f"(LIKE {_q(legacy)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE) "
            f"PARTITION BY RANGE ({_q(column)})"
        )
        cursor.execute(f"ALTER SEQUENCE {_q(sequence)} OWNED BY {_q(table)}.id")
        cursor.execute(
            f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(table + '_pkey')} "
            f"PRIMARY KEY (id, {_q(column)})"
        )
        # The definitions were read before the renames: they name the index and the table as
        # the parent is now called, so they make the parent's indexes as they are.
        for _name, definition, unique, primary, columns in indexes:
            if primary:
                continue
            if unique and column not in columns:
                # A partitioned table's unique index must include the partitioning column.
                definition = definition.replace("CREATE UNIQUE INDEX", "CREATE INDEX", 1)
            cursor.execute(definition)
        for name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")

        # Everything up to the start of next month (and any later row already there) stays in
        # the old table.
        cursor.execute(f"SELECT max({_q(column)}) FROM {_q(legacy)}")  # noqa: S608
        newest = cursor.fetchone()[0]
        today = datetime.now(UTC).date()
        upper = _month(today, 1)
        if newest is not None and newest.date() >= upper:
            upper = _month(newest.date(), 1)
        check = f"{legacy}_bound"[:63]
        cursor.execute(
            f"ALTER TABLE {_q(legacy)} ADD CONSTRAINT {_q(check)} "
            f"CHECK ({_q(column)} < %s) NOT VALID",
            [_bound(upper)],
        )
        cursor.execute(f"ALTER TABLE {_q(legacy)} VALIDATE CONSTRAINT {_q(check)}")
        cursor.execute(
            f"ALTER TABLE {_q(table)} ATTACH PARTITION {_q(legacy)} "
            "FOR VALUES FROM (MINVALUE) TO (%s)",
            [_bound(upper)],
        )
        cursor.execute(f"ALTER TABLE {_q(legacy)} DROP CONSTRAINT {_q(check)}")
        cursor.execute(
            f"CREATE TABLE {_q((table + '_default')[:63])} PARTITION OF {_q(table)} DEFAULT"
        )
    ensure_monthly_partitions(connection=connection)


def partitioned_tables(connection: BaseDatabaseWrapper = default_connection) -> list[str]:
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE p.partstrat = 'r' AND n.nspname = current_schema() ORDER BY c.relname"
        )
        return [name for (name,) in cursor.fetchall()]


def _covered_until(cursor: Any, table: str) -> date | None:
    """The end of the newest range partition of ``table`` (None: only the default)."""
    cursor.execute(
        "SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass",
        [table],
    )
    ends = []
    for (bound,) in cursor.fetchall():
        if "TO ('" in bound:
            ends.append(datetime.fromisoformat(bound.split("TO ('")[1].split("'")[0]).date())
    return max(ends) if ends else None


def ensure_monthly_partitions(
    *,
    connection: BaseDatabaseWrapper = default_connection,
    ahead: int = AHEAD,
    today: date | None = None,
) -> list[str]:
    """Make the partitions of every partitioned table up to ``ahead`` months after the current
    one, contiguous from the newest that exists; return the names made. Safe to run often."""
    made: list[str] = []
    today = today or datetime.now(UTC).date()
    last = _month(today, ahead)
    for table in partitioned_tables(connection):
        with connection.cursor() as cursor:
            start = _covered_until(cursor, table) or _month(today)
            while start <= last:
                end = _month(start, 1)
                name = f"{table}_p{start:%Y%m}"[:63]
                try:
                    with transaction.atomic(using=connection.alias):
                        # Making a partition locks the parent: wait for busy readers briefly,
                        # else try again tomorrow (the default partition takes the rows).
                        cursor.execute("SET LOCAL lock_timeout = '5s'")
                        cursor.execute(
                            f"CREATE TABLE {_q(name)} PARTITION OF {_q(table)} "
                            "FOR VALUES FROM (%s) TO (%s)",
                            [_bound(start), _bound(end)],
                        )
                except DatabaseError:
                    # Rows of that month already sit in the default partition (nothing made
                    # it in time): they stay there, still found by every query.
                    log.warning("Partition %s not made: the default partition holds its rows", name)
                else:
                    made.append(name)
                start = end
    return made
