from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "caunoi.referrals"
    label = "referrals"
    verbose_name = _("Referrals")

    def ready(self) -> None:
        from caunoi.patients.sharing import share_register

        # Here, not at the top: these modules import models, which are loaded only now.
        from caunoi.referrals.sharing import REFERRAL_SHARE

        share_register(REFERRAL_SHARE)
