"""Give the rows chained before 0003 their chain positions: 1, 2, 3… in id order, which was
their chain order (each took the head's lock before its id was drawn). Their hashes are left
as they are: the row digest has not changed, so `caunoi audit verify` still passes on them.

Going back: the old code walks the chain in id order and knows no unchained rows. The rows
still waiting are chained first (in id order); if the chain then is not in id order (rows
committed out of id order were chained after 0003), going back would make the old verify
report them as broken, and only rewriting evidence could avoid it: the migration refuses."""

from django.db import migrations
from django.db.migrations.exceptions import IrreversibleError

from caunoi.audit.digest import row_digest


def number_chained_rows(apps, schema_editor):
    table = apps.get_model("audit", "AuditEvent")._meta.db_table
    # One statement (PostgreSQL, SQLite >= 3.33): a window function numbers the rows.
    schema_editor.execute(
        f"UPDATE {table} SET position = numbered.n FROM ("  # noqa: S608
        f"  SELECT id, row_number() OVER (ORDER BY id) AS n FROM {table}"
        f"  WHERE position IS NULL"
        f") AS numbered WHERE {table}.id = numbered.id"
    )


def unnumber_rows(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    head = AuditChainHead.objects.select_for_update().filter(name="main").first()
    if head is not None:
        for event in AuditEvent.objects.filter(position__isnull=True).order_by("id"):
            event.prev_hash = head.last_hash
            event.row_hash = row_digest(event, head.last_hash)
            head.length += 1
            event.position = head.length
            event.save(update_fields=["prev_hash", "row_hash", "position"])
            head.last_hash = event.row_hash
        head.save(update_fields=["last_hash", "length"])
    table = AuditEvent._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT position, row_number() OVER (ORDER BY id) AS n "  # noqa: S608
            f"FROM {table}) AS numbered WHERE position <> n"
        )
        (out_of_order,) = cursor.fetchone()
    if out_of_order:
        raise IrreversibleError(
            f"{out_of_order} audit events were chained out of id order: the chain before "
            "0003 could not verify them. Not reverting."
        )
    AuditEvent.objects.update(position=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_chain_after_commit")]

    operations = [migrations.RunPython(number_chained_rows, unnumber_rows)]
