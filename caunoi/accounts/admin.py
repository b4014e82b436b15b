from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    SetUnusablePasswordMixin,
    UserChangeForm,
    UserCreationForm,
)
from django.http import HttpRequest
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from caunoi.accounts.models import ApiToken, SystemClient, User
from caunoi.accounts.smart import scopes_of
from caunoi.audit.admin import NetworkAdminMixin
from caunoi.network.models import Membership


class CaunoiUserCreationForm(UserCreationForm[User]):
    class Meta:
        model = User
        fields = ("username", "full_name", "email")


class CaunoiUserChangeForm(UserChangeForm[User]):
    class Meta:
        model = User
        fields = "__all__"


class CaunoiPasswordChangeForm(AdminPasswordChangeForm[User]):
    # Django joins this help text with a fixed English warning when it imports the form, so
    # everybody read it in one language, half of it English. Built lazily, in the reader's.
    usable_password_help_text = format_lazy(  # type: ignore[assignment]
        '{}<ul id="id_unusable_warning" class="messagelist"><li class="warning">{}</li></ul>',
        SetUnusablePasswordMixin.usable_password_help_text,
        _("If disabled, the current password for this user will be lost."),
    )


class MembershipInline(admin.TabularInline[Membership, User]):
    model = Membership
    extra = 0
    autocomplete_fields = ["facility"]
    fields = [
        "role",
        "facility",
        "organisation",
        "profession",
        "title",
        "licence_number",
        "is_active",
    ]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True


@admin.register(User)
class UserAdmin(NetworkAdminMixin, DjangoUserAdmin[User]):
    form = CaunoiUserChangeForm
    add_form = CaunoiUserCreationForm
    change_password_form = CaunoiPasswordChangeForm
    list_display = ["username", "full_name", "email", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "memberships__role"]
    search_fields = ["username", "search_name", "email"]
    ordering = ["username"]
    readonly_fields = ["public_id", "last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Person"), {"fields": ["full_name", "email", "phone", "language"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("Identifiers and dates"), {"fields": ["public_id", "last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["username", "full_name", "email", "password1", "password2"],
            },
        ),
    ]
    inlines = [MembershipInline]
    show_full_result_count = False


@admin.register(ApiToken)
class ApiTokenAdmin(NetworkAdminMixin, admin.ModelAdmin[ApiToken]):
    """Administrators may see and revoke tokens, never read or create them."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_select_related = ["user"]
    readonly_fields = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    exclude = ["key_hash"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SystemClientForm(forms.ModelForm[SystemClient]):
    """Only public keys (a private key here would be a leak), and scopes SMART can read."""

    class Meta:
        model = SystemClient
        fields = ["name", "client_id", "jwks", "user", "scopes", "is_active"]

    def clean_jwks(self) -> Any:
        jwks = self.cleaned_data["jwks"]
        keys = jwks.get("keys") if isinstance(jwks, dict) else None
        if not isinstance(keys, list) or not keys:
            raise forms.ValidationError(_('Give a JSON Web Key Set: {"keys": [...]}.'))
        if any(isinstance(k, dict) and "d" in k for k in keys):
            raise forms.ValidationError(_("Register the public keys only, never a private one."))
        try:
            KeySet.import_key_set(jwks)
        except (JoseError, ValueError, TypeError) as exc:
            raise forms.ValidationError(
                _("These keys cannot be read: %(error)s") % {"error": exc}
            ) from exc
        return jwks

    def clean_scopes(self) -> str:
        text = " ".join(self.cleaned_data["scopes"].split())
        parsed = scopes_of(text)
        if not parsed or len(parsed) != len(text.split()):
            raise forms.ValidationError(
                _("Write SMART scopes such as system/Patient.rs or system/*.rs, space-separated.")
            )
        return text


@admin.register(SystemClient)
class SystemClientAdmin(NetworkAdminMixin, admin.ModelAdmin[SystemClient]):
    """Network administrators register the systems that call the FHIR interface on their own
    (SMART Backend Services), with their public keys and the account they act as."""

    form = SystemClientForm
    list_display = ["name", "client_id", "user", "scopes", "is_active", "created_at"]
    list_select_related = ["user"]
    search_fields = ["name", "client_id"]
    autocomplete_fields = ["user"]
