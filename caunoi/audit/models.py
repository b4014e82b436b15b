from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from caunoi.audit.purposes import purpose_label


class AuditAction(models.TextChoices):
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    DELETE = "delete", _("Delete")
    VIEW = "view", _("View")
    EXPORT = "export", _("Export")
    LOGIN = "login", _("Log in")
    LOGIN_FAILED = "login_failed", _("Failed log-in")
    LOGOUT = "logout", _("Log out")
    TOKEN_CREATE = "token_create", _("API token created")
    TOKEN_REVOKE = "token_revoke", _("API token revoked")


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def for_object(self, object_type: str, object_id: str) -> AuditEventQuerySet:
        return self.filter(object_type=object_type, object_id=object_id)


class AuditEvent(models.Model):
    """One append-only row per access or change that matters.

    A row is written with ``content_hash``, the digest of its own fields, and no place in the
    chain. The task worker then chains it (``services.audit_chain``): the next ``position``,
    ``prev_hash`` (the hash of the row before it) and ``row_hash`` over the row's content and
    ``prev_hash``, so a chained row edited, removed or moved breaks the chain, and ``caunoi
    audit verify`` finds it (README: why the chain is built after commit, not in the request).
    Circular 49/2017 asks for telehealth records kept ten years; Law 91/2025 asks who
    processed health data, when and why. Both are answered from this table.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept as text too, so the trail still names the person after an account is removed.
    actor_label = models.CharField(_("actor name"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_label = models.CharField(_("object"), max_length=300, blank=True)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # Written with the row: the digest of the fields above ("" on rows chained before 0003).
    content_hash = models.CharField(max_length=64, blank=True, editable=False)
    # Given when the row is chained, in the order rows were found committed; empty before.
    position = models.BigIntegerField(_("chain position"), null=True, unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    # NULL, not "", until chained: the hash is unique and many rows wait at once.
    row_hash = models.CharField(max_length=64, null=True, unique=True, editable=False)  # noqa: DJ001

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "-id"]),
            # The rows waiting to be chained: the worker's and verify's lookup stays small
            # however long the trail.
            models.Index(
                fields=["id"], condition=models.Q(position__isnull=True), name="audit_unchained"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_label}"

    @property
    def purpose_label(self) -> str:
        """The purpose in the active language (stored in English, never rewritten)."""
        return purpose_label(self.purpose)


class AuditChainHead(models.Model):
    """The end of the chain: the last chained row's hash and position. Its row lock is taken
    only by whoever chains (the task worker, ``caunoi audit chain``), never by a request."""

    name = models.CharField(max_length=32, unique=True)
    last_hash = models.CharField(max_length=64)
    length = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain heads")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}: {self.length}"
