from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VideoConfig(AppConfig):
    name = "caunoi.video"
    label = "video"
    verbose_name = _("Live video")

    def ready(self) -> None:
        from caunoi.core.maintenance import once_a_day
        from caunoi.core.periodic import periodic_register

        # Here, not at the top: the module imports models, which are loaded only now.
        from caunoi.video.recordings import recordings_expire

        periodic_register("video recordings expire", once_a_day(recordings_expire))
