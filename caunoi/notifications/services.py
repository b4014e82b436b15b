from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.notifications.live import push, user_group
from caunoi.notifications.messages import Param, message_kind, message_render, params_stored
from caunoi.notifications.models import Notification
from caunoi.notifications.presence import online_among
from caunoi.notifications.tasks import notification_channels_send, notification_email_send


def notify(
    *,
    users: Iterable[Any],
    message: str,
    params: Mapping[str, Param] | None = None,
    url: str = "",
    exclude: Any = None,
) -> list[Notification]:
    """Create notifications of ``message`` (a key of ``messages.MESSAGES``) with ``params``
    inside the caller's transaction; after commit, push them to open pages and mail those who
    are offline. Each reader sees them in the language they read in; the words as first
    written, in each recipient's language, are kept too."""
    kind = message_kind(message)
    stored = params_stored(params or {})
    recipients = {u.pk: u for u in users if u is not None and u.is_active}
    if exclude is not None:
        recipients.pop(exclude.pk, None)
    rows = []
    for uid in sorted(recipients):
        # Rendered now as well: a missing parameter fails here, in the sender's transaction.
        title, body = message_render(message, stored, recipients[uid].language or "vi")
        rows.append(
            Notification(
                user_id=uid,
                kind=kind,
                message=message,
                params=stored,
                title=title[:200],
                body=body,
                url=url,
            )
        )
    Notification.objects.bulk_create(rows)
    if rows:
        # Robust: the caller's change is committed by now, so a failure here (the database
        # gone between the commit and this callback) is logged, never turned into an error
        # answer for a saved write; the rows stay under the bell.
        transaction.on_commit(lambda: _deliver(rows), robust=True)
    return rows


def _deliver(rows: list[Notification]) -> None:
    """Mail (and text, and push to the devices of) people who have no page open, as each
    chose, then push to the open pages.

    The email is enqueued first: it is the delivery that must not be lost, while a push is an
    extra that may be skipped (``push`` never raises). When Redis is down, presence reads as
    nobody online (the cache answers misses), so everybody gets the email.
    """
    user_ids = [r.user_id for r in rows]
    online = online_among(user_ids)
    offline = [r.id for r in rows if r.user_id not in online]
    if offline:
        notification_email_send.enqueue(offline)
        notification_channels_send.enqueue(offline)
    unread = {user_id: Notification.objects.bell_count(user_id) for user_id in set(user_ids)}
    for row in rows:
        # Each open page renders the title in its own language (``consumers.LiveConsumer``).
        push(
            user_group(row.user_id),
            {
                "type": "notification",
                "title": row.title,
                "message": row.message,
                "params": row.params,
                "url": row.url,
                "unread": unread.get(row.user_id, 0),
            },
        )


def notifications_mark_read(*, user: User, public_id: str | None = None) -> int:
    qs = Notification.objects.unread().filter(user=user)
    if public_id is not None:
        qs = qs.filter(public_id=public_id)
    count = qs.update(read_at=timezone.now())
    unread = Notification.objects.bell_count(user.pk)
    push(user_group(user.pk), {"type": "notification", "unread": unread})
    return count
