"""Tell PostgreSQL's planner about tables that have just grown (a bulk load, a facts refresh)."""

from __future__ import annotations

from django.db import connection


def refresh_planner_statistics(tables: list[str], *, vacuum: bool = False) -> None:
    """After a bulk load, PostgreSQL's planner still believes the tables are small until
    autovacuum catches up, and picks sequential scans; ANALYZE now. With ``vacuum`` (and
    outside a transaction, where VACUUM can run), VACUUM too, which marks the pages all-visible
    so that index-only scans need not visit the table."""
    if connection.vendor != "postgresql":
        return
    command = "VACUUM ANALYZE" if vacuum and not connection.in_atomic_block else "ANALYZE"
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'{command} "{table}"')
