from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo network, demo consultations and scale data behind ``caunoi seed``. Nothing in
    the product imports this app (``tests/test_isolation.py`` checks it)."""

    name = "caunoi.demo"
    label = "demo"
    verbose_name = _("Demo data")
