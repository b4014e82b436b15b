from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from caunoi.audit.models import AuditEvent
from caunoi.audit.origin import origin_of
from caunoi.audit.services import registry_delete, registry_save

#: The permission to use the administration screens. Nobody holds it as a row: the
#: authentication backend ``network.backends.NetworkAdminBackend`` grants it to network
#: administrators (``user_scope(user).is_network_admin``), and Django to active superusers, so
#: this base app decides nothing about roles and imports no domain app.
NETWORK_ADMIN = "network.administer"


def is_network_admin(request: HttpRequest) -> bool:
    return bool(request.user.has_perm(NETWORK_ADMIN))


class NetworkAdminMixin:
    """Only network administrators manage the registry; every change is audited."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_network_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_network_admin(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_network_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_network_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_network_admin(request)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # The admin saves many-to-many fields in save_related(); the audit row is written by
        # registry_save and the admin's own transaction wraps both.
        registry_save(
            obj=obj,
            actor=request.user,
            changed_fields=list(form.changed_data),
            origin=origin_of(request),
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        instances = formset.save(commit=False)
        origin = origin_of(request)
        for obj in formset.deleted_objects:
            registry_delete(obj=obj, actor=request.user, origin=origin)
        for obj in instances:
            registry_save(obj=obj, actor=request.user, changed_fields=["inline"], origin=origin)
        formset.save_m2m()

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        registry_delete(obj=obj, actor=request.user, origin=origin_of(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        origin = origin_of(request)
        for obj in queryset:
            registry_delete(obj=obj, actor=request.user, origin=origin)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """Read-only: the trail is append-only, nobody edits or deletes it from here."""

    list_display = ["at", "actor_label", "action", "object_type", "object_label", "purpose_shown"]
    list_filter = ["action", "object_type"]
    # The purpose in the reader's language; the row itself, as stored, is evidence.
    fields = [
        "at",
        "actor",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "object_label",
        "purpose_shown",
        "detail",
        "ip_address",
    ]
    readonly_fields = ["purpose_shown"]
    search_fields = ["actor_label", "object_label", "object_id"]
    date_hierarchy = "at"
    show_full_result_count = False

    @admin.display(description=_("purpose"))
    def purpose_shown(self, obj: AuditEvent) -> str:
        return obj.purpose_label

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_network_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_network_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
