from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from caunoi.accounts import views as account_views
from caunoi.config.api import api
from caunoi.consults import tus_views
from caunoi.core import errors, pwa
from caunoi.core.health import healthz
from caunoi.home import views as home_views
from caunoi.places import views as place_views
from caunoi.training import views as training_views

admin.site.site_header = _("Cầu Nối — network administration")
admin.site.site_title = _("Cầu Nối administration")
admin.site.index_title = _("Network registry")

urlpatterns = [
    path("", home_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    # The installable app (core/pwa.py): at the root, so that the worker's scope is the site.
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("offline/", pwa.offline, name="offline"),
    path("forms/received/", home_views.forms_received, name="forms_received"),
    path("accounts/", include("caunoi.accounts.urls")),
    # One log-in page for everybody: the admin's own would skip the second factor's wording.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("accounts/profile/", account_views.profile, name="profile"),
    path(
        "accounts/tokens/<uuid:public_id>/revoke/",
        account_views.token_revoke,
        name="token_revoke",
    ),
    path("i18n/setlang/", account_views.language_switch, name="set_language"),
    path("network/", include("caunoi.network.urls")),
    path("patients/", include("caunoi.patients.urls")),
    path("consults/", include("caunoi.consults.urls")),
    path("notifications/", include("caunoi.notifications.urls")),
    path("video/", include("caunoi.video.urls")),
    path("referrals/", include("caunoi.referrals.urls")),
    path("training/", include("caunoi.training.urls")),
    path("transfers/", include("caunoi.transfers.urls")),
    path("protocols/", include("caunoi.protocols.urls")),
    path("quality/", include("caunoi.quality.urls")),
    path("programmes/", include("caunoi.programmes.urls")),
    # Public: anyone holding a certificate's number checks it, without an account.
    path("verify/<str:number>/", training_views.certificate_verify, name="certificate_verify"),
    path("verify/", training_views.certificate_verify_form, name="certificate_verify_form"),
    path("monitoring/", include("caunoi.monitoring.urls")),
    path("places/communes/", place_views.commune_options, name="commune_options"),
    # Resumable uploads (tus 1.0): before the ninja API, whose protocol they do not follow.
    path("api/uploads/", tus_views.uploads, name="uploads"),
    path("api/uploads/<uuid:public_id>", tus_views.upload, name="upload"),
    path("api/", api.urls),
    path("fhir/R4/", include("caunoi.fhir.urls")),
    path("admin/", admin.site.urls),
]

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
