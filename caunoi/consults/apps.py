from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultsConfig(AppConfig):
    name = "caunoi.consults"
    label = "consults"
    verbose_name = _("Teleconsultation")

    def ready(self) -> None:
        # Here, not at the top: these modules import models, which are loaded only now.
        from caunoi.consults.sharing import CONSULTATION_SHARE, consult_followable
        from caunoi.notifications.live import follow_register
        from caunoi.patients.sharing import share_register

        share_register(CONSULTATION_SHARE)
        follow_register("consult", consult_followable)
