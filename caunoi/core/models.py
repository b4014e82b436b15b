from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Creation and last-change times for every domain row (stored in UTC)."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, editable=False)

    class Meta:
        abstract = True


class TimelineEvent(models.Model):
    """One step in the timeline of a domain object (a consultation, a referral…): which step
    (``kind``), when, by whom (no one for a scheduled check), and what the page should say
    about it (``detail``). A concrete timeline adds the foreign key to its object with
    ``related_name="events"`` and narrows ``kind`` to its own ``TextChoices``. Product code writes
    it only through ``core.timeline.record_event`` (a bare step) or ``audit.services.record_step``
    (the object saved, the event and the audit row at once); the demo's bulk loaders write rows
    directly."""

    kind = models.CharField(_("event"), max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"

    @property
    def kind_label(self) -> str:
        """The step in the reader's language (``kind`` is stored as a code; a code no longer
        among the choices is shown as it is)."""
        choices: dict[Any, Any] = dict(self._meta.get_field("kind").flatchoices)  # type: ignore[union-attr]
        return str(choices.get(self.kind, self.kind))


class WorkerHeartbeat(models.Model):
    """One row per running task worker process (`caunoi worker`), beaten every
    WORKER_HEARTBEAT_SECONDS. /healthz reads the newest; a worker whose beat is older than
    TASK_LEASE_SECONDS is taken for dead and its running tasks are handed to another."""

    worker_id = models.CharField(_("task worker"), max_length=64, unique=True)
    host = models.CharField(_("host name"), max_length=255)
    pid = models.PositiveIntegerField(_("process id"))
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    beat_at = models.DateTimeField(_("last heartbeat"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")
        ordering = ["-beat_at"]

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}"
