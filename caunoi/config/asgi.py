"""ASGI entry point: Django for HTTP, Channels for websockets (notifications and WebRTC
signalling arrive in later apps and are added to ``websocket_urlpatterns``)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caunoi.config.settings")

from django.core.asgi import get_asgi_application

django_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from caunoi.accounts.websocket import TwoFactorWebsocketMiddleware  # noqa: E402
from caunoi.config.routing import websocket_urlpatterns  # noqa: E402
from caunoi.core.request_size import guard_request_size  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Django's ASGI handler reads a whole body before any middleware: refuse first.
        "http": guard_request_size(django_app),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(TwoFactorWebsocketMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)
