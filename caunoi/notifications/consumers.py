"""One websocket per open page, at /ws/live/: notifications for the person, and updates of
the consultations and queues the page shows. Later, WebRTC signalling rides on it too."""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from caunoi.notifications.live import consult_group, hub_group, user_group
from caunoi.notifications.presence import presence_enter, presence_leave

MAX_MESSAGE = 4096
# Close codes (4000-4999 are ours): the page shows why and does not retry forever.
CLOSE_UNAUTHENTICATED = 4401


def _consult_visible(user: Any, public_id: str) -> bool:
    from caunoi.consults.access import visible_consultations

    try:
        return visible_consultations(user).filter(public_id=public_id).exists()
    except Exception:
        return False


def _queue_groups(user: Any) -> list[str]:
    from caunoi.network.access import user_scope

    scope = user_scope(user)
    groups = [hub_group(h) for h in sorted(scope.hub_ids)]
    groups += [f"facility.{f}" for f in sorted(scope.facility_ids)]
    return groups


class LiveConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
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

    async def _error(self, code: str, message: str) -> None:
        await self.send(text_data=json.dumps({"type": "error", "code": code, "message": message}))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # Bad input is answered and ignored; the connection stays usable.
        if text_data is None or len(text_data) > MAX_MESSAGE:
            await self._error("too_large", "message too large or not text")
            return
        try:
            message = json.loads(text_data)
        except ValueError:
            await self._error("bad_json", "not JSON")
            return
        if not isinstance(message, dict):
            await self._error("bad_message", "expected an object")
            return
        kind = message.get("subscribe")
        if kind == "consult":
            public_id = str(message.get("id", ""))[:64]
            if await database_sync_to_async(_consult_visible)(self.user, public_id):
                await self._join(consult_group(public_id))
                await self.send(text_data=json.dumps({"type": "subscribed", "consult": public_id}))
            else:
                await self._error("not_found", "no such consultation")
        elif kind == "queues":
            for group in await database_sync_to_async(_queue_groups)(self.user):
                await self._join(group)
            await self.send(text_data=json.dumps({"type": "subscribed", "queues": True}))
        elif message.get("type") == "ping":
            await self.send(text_data=json.dumps({"type": "pong"}))
        else:
            await self._error("unknown", "unknown message")

    async def live_event(self, event: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(event["payload"]))
