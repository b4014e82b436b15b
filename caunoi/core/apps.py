from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_partitions(using: str = "default", **kwargs: Any) -> None:
    """After every migrate: the monthly partitions of this month and the next ones exist."""
    from caunoi.core.partitions import ensure_monthly_partitions

    ensure_monthly_partitions(connection=connections[using])


class CoreConfig(AppConfig):
    name = "caunoi.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from caunoi.core.maintenance import once_a_day, task_results_prune
        from caunoi.core.partitions import ensure_monthly_partitions
        from caunoi.core.periodic import periodic_register

        post_migrate.connect(_ensure_partitions, sender=self)
        periodic_register("monthly partitions", once_a_day(ensure_monthly_partitions))
        periodic_register("task results prune", once_a_day(task_results_prune))
