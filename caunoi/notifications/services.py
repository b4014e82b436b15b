from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone, translation

from caunoi.notifications.live import push, user_group
from caunoi.notifications.models import Notification
from caunoi.notifications.presence import online_among

# Builds (title, body) in the active language; called once per recipient in their language.
Message = Callable[[], tuple[str, str]]


def notify(
    *,
    users: Iterable[Any],
    kind: str,
    message: Message,
    url: str = "",
    exclude: Any = None,
) -> list[Notification]:
    """Create notifications inside the caller's transaction; after commit, push them to open
    pages and mail those who are offline."""
    recipients = {u.pk: u for u in users if u is not None and u.is_active}
    if exclude is not None:
        recipients.pop(exclude.pk, None)
    rows = []
    for uid in sorted(recipients):
        with translation.override(recipients[uid].language or "vi"):
            title, body = message()
        rows.append(
            Notification(user_id=uid, kind=kind, title=str(title)[:200], body=str(body), url=url)
        )
    Notification.objects.bulk_create(rows)
    if rows:
        # Robust: the caller's change is committed by now, so a failure here (the database
        # gone between the commit and this callback) is logged, never turned into an error
        # answer for a saved write; the rows stay under the bell.
        transaction.on_commit(lambda: _deliver(rows), robust=True)
    return rows


def _deliver(rows: list[Notification]) -> None:
    """Mail people who have no page open, then push to the open pages.

    The email is enqueued first: it is the delivery that must not be lost, while a push is an
    extra that may be skipped (``push`` never raises). When Redis is down, presence reads as
    nobody online (the cache answers misses), so everybody gets the email.
    """
    user_ids = [r.user_id for r in rows]
    online = online_among(user_ids)
    offline = [r.id for r in rows if r.user_id not in online]
    if offline:
        from caunoi.notifications.tasks import notification_email_send

        notification_email_send.enqueue(offline)
    unread = dict(
        Notification.objects.unread()
        .filter(user_id__in=user_ids)
        .values("user_id")
        .annotate(n=Count("id"))
        .values_list("user_id", "n")
    )
    for row in rows:
        push(
            user_group(row.user_id),
            {
                "type": "notification",
                "title": row.title,
                "url": row.url,
                "unread": unread.get(row.user_id, 0),
            },
        )


def notifications_mark_read(*, user: Any, public_id: str | None = None) -> int:
    qs = Notification.objects.unread().filter(user=user)
    if public_id is not None:
        qs = qs.filter(public_id=public_id)
    count = qs.update(read_at=timezone.now())
    unread = Notification.objects.unread().filter(user=user).count()
    push(user_group(user.pk), {"type": "notification", "unread": unread})
    return count
