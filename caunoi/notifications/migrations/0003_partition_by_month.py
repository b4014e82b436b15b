"""notifications_notification partitioned by month on PostgreSQL (caunoi/core/partitions.py); nothing on SQLite."""

from django.db import migrations

from caunoi.core.partitions import partition_by_month


def forward(apps, schema_editor):
    partition_by_month(schema_editor.connection, "notifications_notification", "created_at")


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_message_key_and_params")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop, elidable=False)]
