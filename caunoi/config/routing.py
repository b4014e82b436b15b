from typing import Any

from django.urls import path

from caunoi.notifications.consumers import LiveConsumer
from caunoi.video.consumers import VideoRoomConsumer

websocket_urlpatterns: list[Any] = [
    path("ws/live/", LiveConsumer.as_asgi()),
    path("ws/video/<uuid:session_id>/", VideoRoomConsumer.as_asgi()),
]
