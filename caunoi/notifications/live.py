"""Pushing to open pages over the websocket (Channels groups).

A push is an extra: the change it announces is already committed, and a page that misses it
catches up when it reconnects. So ``push`` never raises and never waits long. While the
channel layer (Redis) is unreachable, pushes are skipped at once, one is tried every few
seconds, and the log says once that live updates are paused and once that they are back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth.models import AnonymousUser

from caunoi.accounts.models import User
from caunoi.core.outage import Outage

outage = Outage("Channel layer (live updates)")
# Pushes scheduled on a running loop, kept referenced until done (the loop holds tasks weakly).
_scheduled: set[asyncio.Task[None]] = set()


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def consult_group(public_id: object) -> str:
    return f"consult.{public_id}"


def hub_group(hub_id: int) -> str:
    return f"hub.{hub_id}"


# Who may follow one record's updates, by kind ("consult"): the apps above notifications that
# own those records register their answer in their AppConfig.ready() (``consults`` does), so
# this app imports none of them.
_followable: dict[str, Callable[[User | AnonymousUser, str], bool]] = {}


def follow_register(kind: str, may_follow: Callable[[User | AnonymousUser, str], bool]) -> None:
    _followable[kind] = may_follow


def may_follow(kind: str, user: User | AnonymousUser, public_id: str) -> bool:
    check = _followable.get(kind)
    return check is not None and check(user, public_id)


async def _send(layer: Any, group: str, message: dict[str, Any]) -> None:
    try:
        async with asyncio.timeout(settings.REDIS_TIMEOUT):
            await layer.group_send(group, message)
    except Exception as exc:
        outage.failed(exc)
    else:
        outage.succeeded()


def push(group: str, payload: dict[str, Any]) -> None:
    """Send ``payload`` to every socket in ``group``; a failure never breaks the caller."""
    layer = get_channel_layer()
    if layer is None or not outage.allow():
        return
    message = {"type": "live.event", "payload": payload}
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is not None:
        # Called from code running inside an event loop's thread: schedule, don't block.
        scheduled = loop.create_task(_send(layer, group, message))
        _scheduled.add(scheduled)
        scheduled.add_done_callback(_scheduled.discard)
        return
    async_to_sync(_send)(layer, group, message)
