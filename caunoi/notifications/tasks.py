from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from caunoi.notifications.models import Notification

log = logging.getLogger(__name__)


@task()
def notification_email_send(notification_ids: list[int]) -> int:
    """Mail notifications that are still unread and not yet mailed (people who were offline).

    Safe to run again (the worker runs a task at least once: it is taken up again when its
    worker died): what is already mailed or read is skipped, and each row is marked as soon as
    its mail is sent. Only a worker killed between sending one mail and marking it can send that
    one mail twice."""
    sent = 0
    rows = list(
        Notification.objects.select_related("user").filter(
            id__in=notification_ids, read_at__isnull=True, emailed_at__isnull=True
        )
    )
    base = settings.SITE_URL.rstrip("/")
    from caunoi.notifications.channels import choices_for

    choices = choices_for(row.user for row in rows)
    for row in rows:
        if not row.user.email or not choices[row.user_id].email:
            continue
        with translation.override(row.user.language or "vi"):
            shown = row.shown()
            link = f"{base}{row.url}" if row.url else base
            body = f"{shown.body}\n\n{link}\n\n— {_('Cầu Nối')}"
            send_mail(shown.title, body, settings.DEFAULT_FROM_EMAIL, [row.user.email])
        # Marked one by one: a failure half-way leaves the rest to be retried, not lost.
        Notification.objects.filter(pk=row.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


@task()
def notification_channels_send(notification_ids: list[int]) -> dict[str, int]:
    """SMS and web push for notifications still unread (people who were offline), by the
    channels each person chose. Safe to run again: each channel is marked as it sends."""
    from caunoi.notifications.channels import channels_send

    return channels_send(notification_ids)
