"""Pushing to open pages over the websocket (Channels groups)."""

from __future__ import annotations

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
    try:
        async_to_sync(layer.group_send)(group, {"type": "live.event", "payload": payload})
    except Exception:
        log.warning("live push to %s failed", group, exc_info=True)
