"""Websockets are held to two-factor sign-in like pages are (``TwoFactorMiddleware``): a session
that has given its password but not yet its code does not count as signed in on a socket."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

from caunoi.accounts.models import User
from caunoi.accounts.two_factor import FREE, SESSION_KEY, two_factor_state


def _session_complete(session: Any, user: User) -> bool:
    state = session.get(SESSION_KEY) if session is not None else None
    if state is None:
        state = two_factor_state(user)
    if state == FREE:
        return True
    persistent_id = session.get(DEVICE_ID_SESSION_KEY) if session is not None else None
    if not persistent_id:
        return False
    device = Device.from_persistent_id(persistent_id)
    return device is not None and device.user_id == user.pk and device.confirmed


class TwoFactorWebsocketMiddleware:
    """Inside Channels' ``AuthMiddlewareStack``: an unfinished session's user becomes
    anonymous, so the consumers' own checks refuse it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        user = scope.get("user")
        if user is not None and user.is_authenticated:
            complete = await database_sync_to_async(_session_complete)(scope.get("session"), user)
            if not complete:
                scope = {**scope, "user": AnonymousUser()}
        return await self.inner(scope, receive, send)
