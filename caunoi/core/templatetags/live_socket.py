"""Where a page's scripts open their websockets (``settings.LIVE_WS_URL``)."""

from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def live_ws_origin() -> str:
    """ "" when the websocket server shares the page's origin (nginx in front of both servers);
    otherwise ":PORT" or "ws[s]://host[:port]", which live.js and room.js put before /ws/…."""
    return str(settings.LIVE_WS_URL)
