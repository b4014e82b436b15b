"""referrals_referralevent partitioned by month on PostgreSQL (caunoi/core/partitions.py); nothing on SQLite."""

from django.db import migrations

from caunoi.core.partitions import partition_by_month


def forward(apps, schema_editor):
    partition_by_month(schema_editor.connection, "referrals_referralevent", "at")


class Migration(migrations.Migration):
    dependencies = [("referrals", "0004_event_kind_choices")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop, elidable=False)]
