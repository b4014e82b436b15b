# The task worker's lease check (caunoi.core.taskworker.tasks_reclaim) looks for RUNNING tasks at
# every heartbeat; django-tasks-db indexes only READY ones. A partial index on the library's
# table keeps that look-up cheap however many finished tasks the table holds (PostgreSQL and
# SQLite both support partial indexes).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_worker_heartbeat"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        migrations.RunSQL(
            sql=(
                "CREATE INDEX IF NOT EXISTS caunoi_tasks_running_idx "
                "ON django_tasks_database_dbtaskresult (started_at) WHERE status = 'RUNNING'"
            ),
            reverse_sql="DROP INDEX IF EXISTS caunoi_tasks_running_idx",
        ),
    ]
