from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin, UserManager
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caunoi.core.text import fold


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. Vietnamese names are one string, family name first, so there
    is a single ``full_name`` instead of first/last names; what a person may do comes from
    their memberships of facilities (``network.Membership``)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    username = models.CharField(
        _("username"),
        max_length=150,
        unique=True,
        validators=[UnicodeUsernameValidator()],
        help_text=_("Letters, digits and @/./+/-/_ only."),
        error_messages={"unique": _("A user with that username already exists.")},
    )
    full_name = models.CharField(_("full name"), max_length=200)
    search_name = models.CharField(max_length=200, editable=False, db_index=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Whether the user can log into the administration site."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # The last change of the person's record (FHIR's Practitioner.meta.lastUpdated).
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    objects = UserManager["User"]()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_name = fold(f"{self.full_name} {self.username}")
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "full_name" in update_fields:  # type: ignore[operator]
            kwargs["update_fields"] = {*update_fields, "search_name"}  # type: ignore[misc]
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def get_full_name(self) -> str:
        return self.full_name or self.username

    def get_short_name(self) -> str:
        # Vietnamese address people by the last word of their name ("chị Mai").
        return self.full_name.rsplit(" ", 1)[-1] if self.full_name else self.username


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the token is shown once."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


def empty_key_set() -> dict[str, list[object]]:
    return {"keys": []}


class SystemClient(models.Model):
    """Another system (a hospital's information system, a provincial data centre) that calls
    the FHIR interface on its own, by SMART Backend Services: it proves itself with a JWT
    signed by a private key whose public half is registered here (``jwks``), and acts as
    ``user`` — a service account whose memberships decide what it may see, through the same
    access rules as any person — within ``scopes`` (SMART's ``system/…`` scopes)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    client_id = models.CharField(_("client id"), max_length=100, unique=True)
    jwks = models.JSONField(
        _("public keys (JWKS)"),
        default=empty_key_set,
        help_text=_('The client\'s public keys as a JSON Web Key Set: {"keys": [...]}.'),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acts as"),
        on_delete=models.PROTECT,
        related_name="system_clients",
    )
    scopes = models.CharField(
        _("allowed scopes"),
        max_length=1000,
        help_text=_("SMART scopes, space-separated, e.g. system/Patient.rs system/Task.rus"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("system client")
        verbose_name_plural = _("system clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SystemToken(models.Model):
    """A short-lived access token issued to a system client. Only its SHA-256 is stored."""

    client = models.ForeignKey(
        SystemClient, verbose_name=_("client"), on_delete=models.CASCADE, related_name="tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.CharField(_("scopes"), max_length=1000)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("system token")
        verbose_name_plural = _("system tokens")

    def __str__(self) -> str:
        return f"{self.client} · {self.expires_at:%d/%m/%Y %H:%M}"


class AssertionUse(models.Model):
    """A client assertion's ``jti`` already used (RFC 7523: an assertion is used once), kept
    until the assertion expires."""

    client = models.ForeignKey(SystemClient, on_delete=models.CASCADE, related_name="+")
    jti = models.CharField(max_length=200)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "jti"], name="assertion_used_once")
        ]

    def __str__(self) -> str:
        return self.jti


class DraftKey(models.Model):
    """The key a browser encrypts the forms it keeps unsent with (core/static/core/drafts.js).

    The browser never writes it to disk: it asks for it while signed in and holds it in memory
    only. Signing out destroys the keys the session used, so what a shared computer's disk still
    holds can no longer be read; a session that merely expires leaves them, so the same person
    signing in again finds her forms (README: "Forms kept on this device")."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="draft_keys",
    )
    secret = models.BinaryField(max_length=32, editable=False)
    # The SHA-256 of the session that last asked for it: signing out of that session destroys
    # it (written with one UPDATE, so two pages asking at once cannot lose it).
    session = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("key for forms kept on a device")
        verbose_name_plural = _("keys for forms kept on a device")

    def __str__(self) -> str:
        return f"{self.user} · {timezone.localtime(self.created_at):%d/%m/%Y %H:%M}"
