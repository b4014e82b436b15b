from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "caunoi.audit"
    label = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from caunoi.audit.health import check_audit_chain
        from caunoi.audit.tasks import audit_chain_soon
        from caunoi.core.health import health_register
        from caunoi.core.periodic import periodic_register

        # /healthz fails when rows wait too long: the chaining has stopped.
        health_register("audit_chain", check_audit_chain)

        # Every task worker chains the rows written since its last run, about every second.
        periodic_register("audit chain", audit_chain_soon)
