from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from caunoi.audit.models import AuditEvent
from caunoi.network.access import user_scope


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
        return user_scope(request.user).is_network_admin

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_scope(request.user).is_network_admin

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
