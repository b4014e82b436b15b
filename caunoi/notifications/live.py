"""Pushing to open pages over the websocket (Channels groups)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

log = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def consult_group(public_id: object) -> str:
    return f"consult.{public_id}"


def hub_group(hub_id: int) -> str:
    return f"hub.{hub_id}"


def push(group: str, payload: dict[str, Any]) -> None:
    """Send ``payload`` to every socket in ``group``; a failure never breaks the caller."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "live.event", "payload": payload}
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is not None:
        # Called from code running inside an event loop's thread: schedule, don't block.
        loop.create_task(layer.group_send(group, message))
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        log.warning("live push to %s failed", group, exc_info=True)
