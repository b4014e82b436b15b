from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "caunoi.training"
    label = "training"
    verbose_name = _("Training and CME")

    def ready(self) -> None:
        from caunoi.core.maintenance import at_most_every
        from caunoi.core.periodic import periodic_register

        # Here, not at the top: services import models, which are loaded only now.
        from caunoi.training.services import session_reminders_send

        periodic_register("training reminders", at_most_every(60, session_reminders_send))
