from __future__ import annotations

from ninja.security import django_auth

from caunoi.accounts.api_auth import BearerTokenAuth
from caunoi.consults.api import router as consults_router
from caunoi.core.api import DocumentedErrorsAPI, install_error_handlers
from caunoi.monitoring.api import router as monitoring_router
from caunoi.network.api import router as network_router
from caunoi.patients.api import router as patients_router
from caunoi.places.api import router as places_router
from caunoi.programmes.api import router as programmes_router
from caunoi.protocols.api import router as protocols_router
from caunoi.quality.api import router as quality_router
from caunoi.referrals.api import router as referrals_router
from caunoi.training.api import router as training_router
from caunoi.transfers.api import router as transfers_router
from caunoi.triage.api import router as triage_router
from caunoi.video.api import router as video_router

api = DocumentedErrorsAPI(
    title="Cầu Nối API",
    version="1",
    description=(
        "The JSON API of Cầu Nối. Authenticate with your session or a personal token "
        "(`Authorization: Bearer <token>`, created on your profile page or with "
        '`caunoi token create <username>`). Lists answer `{"items": [...], "count": N}` and '
        'take `limit` and `offset`. Errors answer `{"code", "message", "errors"}`.'
    ),
    auth=[BearerTokenAuth(), django_auth],
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)
install_error_handlers(api)
api.add_router("", places_router)
api.add_router("", network_router)
api.add_router("", patients_router)
api.add_router("", consults_router)
api.add_router("", triage_router)
api.add_router("", protocols_router)
api.add_router("", video_router)
api.add_router("", referrals_router)
api.add_router("", training_router)
api.add_router("", transfers_router)
api.add_router("", quality_router)
api.add_router("", monitoring_router)
api.add_router("", programmes_router)
