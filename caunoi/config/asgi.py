"""ASGI entry points, served by uvicorn.

- ``websocket_application``: the websockets only (``/ws/live/``, ``/ws/video/…``), what the
  ASGI server runs in production beside gunicorn (``caunoi serve`` with Redis, deploy/): an HTTP
  request reaching it is answered 404.
- ``application``: websockets and Django for HTTP in one process, what ``caunoi serve`` runs on
  the embedded default, whose in-memory channel layer cannot carry a push from one process to
  another; the browser tests' live server runs it too.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caunoi.config.settings")

from django.core.asgi import get_asgi_application

django_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import OriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from caunoi.accounts.websocket import TwoFactorWebsocketMiddleware  # noqa: E402
from caunoi.config.routing import websocket_urlpatterns  # noqa: E402
from caunoi.core.request_size import AsgiApp, Receive, Scope, Send, guard_request_size  # noqa: E402

# Under ASGI, Django runs each request's (and each consumer call's) database work in a context
# of its own, so a connection "kept" for the next request is never used again, only left open
# until the garbage collector finds it (Django's documentation: disable persistent connections
# under ASGI). Kept connections are the WSGI server's (gunicorn's threads live on); here each
# piece of work closes its connection, whatever DB_CONN_MAX_AGE says.
for _database in settings.DATABASES.values():
    _database["CONN_MAX_AGE"] = 0


class AllowedHostsOrigin(OriginValidator):  # type: ignore[misc]
    """Channels' check of a websocket's Origin against ``ALLOWED_HOSTS``, read on each
    connection rather than once at start-up, so that pages and websockets always agree on
    which hosts are this site (a setting changed later, as tests do, applies to both)."""

    def __init__(self, application: AsgiApp) -> None:
        self.application = application

    @property
    def allowed_origins(self) -> list[str]:
        return list(settings.ALLOWED_HOSTS)


websockets = AllowedHostsOrigin(
    AuthMiddlewareStack(TwoFactorWebsocketMiddleware(URLRouter(websocket_urlpatterns)))
)


async def _not_here(scope: Scope, receive: Receive, send: Send) -> None:
    """HTTP on the websocket server: pages are gunicorn's (a misrouted proxy shows here)."""
    body = b"Websockets only: pages are served by the WSGI server.\n"
    await send(
        {
            "type": "http.response.start",
            "status": 404,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


application: AsgiApp = ProtocolTypeRouter(
    {
        # Django's ASGI handler reads a whole body before any middleware: refuse first.
        "http": guard_request_size(django_app),
        "websocket": websockets,
    }
)
websocket_application: AsgiApp = ProtocolTypeRouter({"http": _not_here, "websocket": websockets})
