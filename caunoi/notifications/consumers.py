"""One websocket per open page, at /ws/live/: notifications for the person, and updates of
the consultations and queues the page shows. Later, WebRTC signalling rides on it too."""

from __future__ import annotations

import json
from typing import Any, Literal

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import translation
from django.utils.translation import gettext as _

from caunoi.accounts.models import User
from caunoi.core.websocket import (
    Frame,
    FrameError,
    Kind,
    Uuid,
    error_frame,
    read_frame,
    socket_language,
)
from caunoi.network.access import user_scope
from caunoi.notifications.live import consult_group, hub_group, may_follow, user_group
from caunoi.notifications.messages import Shown, message_shown
from caunoi.notifications.presence import presence_enter, presence_leave

MAX_MESSAGE = 4096
# Close codes (4000-4999 are ours): the page shows why and does not retry forever.
CLOSE_UNAUTHENTICATED = 4401


class SubscribeConsult(Frame):
    subscribe: Literal["consult"]
    id: Uuid


class SubscribeQueues(Frame):
    subscribe: Literal["queues"]


class Ping(Frame):
    type: Literal["ping"]


KINDS = {
    ("subscribe", "consult"): Kind(SubscribeConsult),
    ("subscribe", "queues"): Kind(SubscribeQueues),
    ("type", "ping"): Kind(Ping),
}


def _consult_visible(user: User, public_id: str) -> bool:
    return may_follow("consult", user, public_id)


def _queue_groups(user: User) -> list[str]:
    scope = user_scope(user)
    groups = [hub_group(h) for h in sorted(scope.hub_ids)]
    groups += [f"facility.{f}" for f in sorted(scope.facility_ids)]
    return groups


class LiveConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]  # channels ships no types
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.language = socket_language(self.scope)
        self.joined: set[str] = set()
        await self._join(user_group(user.pk))
        await self.accept()
        await database_sync_to_async(presence_enter)(user.pk)

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "user"):
            return
        for group in list(getattr(self, "joined", ())):
            await self.channel_layer.group_discard(group, self.channel_name)
        await database_sync_to_async(presence_leave)(self.user.pk)

    async def _join(self, group: str) -> None:
        if group not in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.add(group)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # Every frame is checked before anything acts on it; a bad one is answered and
        # ignored, and the connection stays usable.
        with translation.override(self.language):
            try:
                message = read_frame(text_data, bytes_data, max_chars=MAX_MESSAGE, kinds=KINDS)
            except FrameError as exc:
                await self.send(text_data=exc.frame())
                return
            await self._act(message)

    async def _act(self, message: Frame) -> None:
        if isinstance(message, SubscribeConsult):
            if await database_sync_to_async(_consult_visible)(self.user, message.id):
                await self._join(consult_group(message.id))
                await self.send(text_data=json.dumps({"type": "subscribed", "consult": message.id}))
            else:
                await self.send(
                    text_data=error_frame(
                        "not_found", _("No such consultation, or you cannot see it.")
                    )
                )
        elif isinstance(message, SubscribeQueues):
            for group in await database_sync_to_async(_queue_groups)(self.user):
                await self._join(group)
            await self.send(text_data=json.dumps({"type": "subscribed", "queues": True}))
        elif isinstance(message, Ping):
            await self.send(text_data=json.dumps({"type": "pong"}))

    async def live_event(self, event: dict[str, Any]) -> None:
        payload = event["payload"]
        if payload.get("type") == "notification":
            payload = _notification_shown(payload, self.language)
        await self.send(text_data=json.dumps(payload))


def _notification_shown(payload: dict[str, Any], language: str) -> dict[str, Any]:
    """A notification's title in this page's language; the key and parameters stay on the
    server."""
    shown = dict(payload)
    key = shown.pop("message", "")
    params = shown.pop("params", {})
    if "title" in shown:
        written = Shown(shown["title"], "")
        shown["title"] = message_shown(key, params, language, written=written).title
    return shown
