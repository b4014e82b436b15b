"""consults_consultationevent partitioned by month on PostgreSQL (caunoi/core/partitions.py);
nothing on SQLite."""

from django.db import migrations

from caunoi.core.partitions import partition_by_month


def forward(apps, schema_editor):
    partition_by_month(schema_editor.connection, "consults_consultationevent", "at")


class Migration(migrations.Migration):
    dependencies = [("consults", "0008_consult_mine_indexes")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop, elidable=False)]
