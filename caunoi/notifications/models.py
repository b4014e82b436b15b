from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from caunoi.notifications.messages import Shown, message_shown

# The bell shows up to this many unread notifications, then "99+": counting stops there, so a
# hub specialist with thousands unread costs one short index scan per page, not thousands.
BELL_MAX = 99


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)

    def bell_count(self, user_id: int) -> int:
        """Unread notifications of one person, counted up to ``BELL_MAX + 1`` ("99+")."""
        return self.unread().filter(user_id=user_id)[: BELL_MAX + 1].count()


class Notification(models.Model):
    """Something a person should know. Shown under the bell, pushed over the websocket to
    open pages, and mailed to people who are not online.

    Stored as a message key and its parameters (``messages.MESSAGES``) and rendered in the
    reader's language when read. ``title`` and ``body`` keep the words as first written, in the
    recipient's language then: what rows written before keys were stored show, and what a row
    shows should its key ever leave the registry."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=32)
    message = models.CharField(
        pgettext_lazy("notification", "message key"), max_length=64, blank=True
    )
    params = models.JSONField(pgettext_lazy("notification", "parameters"), default=dict, blank=True)
    title = models.CharField(pgettext_lazy("notification", "title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)
    texted_at = models.DateTimeField(_("sent by SMS at"), null=True, blank=True)
    pushed_at = models.DateTimeField(_("pushed to devices at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return self.title

    def shown(self, language: str | None = None) -> Shown:
        """Title and text in ``language`` (by default the active one)."""
        language = language or translation.get_language() or settings.LANGUAGE_CODE
        return message_shown(
            self.message, self.params, language, written=Shown(self.title, self.body)
        )


class ChannelChoice(models.Model):
    """How a person wants to hear of notifications while no page of theirs is open: the bell
    is always there; e-mail, SMS (to their phone number) and web push (to the devices where they
    allowed it) each on or off. No row: e-mail and push on, SMS off."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="channel_choice",
    )
    email = models.BooleanField(_("e-mail"), default=True)
    sms = models.BooleanField(_("SMS"), default=False)
    push = models.BooleanField(_("notifications on my devices"), default=True)
    updated_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("notification channels")
        verbose_name_plural = _("notification channels")

    def __str__(self) -> str:
        return str(self.user)


class PushSubscription(models.Model):
    """One browser where a person allowed notifications: the push service's address for it and
    the keys its messages are encrypted with (RFC 8291). Removed when the push service says the
    browser is gone (404, 410)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="push_subscriptions",
    )
    endpoint = models.URLField(_("push service address"), max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=64)
    device = models.CharField(_("device"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("allowed at"), default=timezone.now)
    last_sent_at = models.DateTimeField(_("last sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("device receiving notifications")
        verbose_name_plural = _("devices receiving notifications")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.device or self.endpoint[:60]
