"""The network administrator's screens. Saves and deletes go through the audited registry
services (``audit.admin.NetworkAdminMixin``); who may use these screens is decided by
``network.access`` like everything else, through ``network.backends.NetworkAdminBackend``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from caunoi.audit.admin import NetworkAdminMixin
from caunoi.network.access import user_scope
from caunoi.network.models import Facility, Membership, Specialty, SupportLink


@admin.register(Specialty)
class SpecialtyAdmin(NetworkAdminMixin, admin.ModelAdmin[Specialty]):
    list_display = ["code", "name_vi", "name_en", "is_common", "sort_order"]
    list_editable = ["is_common", "sort_order"]
    search_fields = ["code", "name_vi", "name_en"]


class HubLinkInline(admin.TabularInline[SupportLink, Facility]):
    model = SupportLink
    fk_name = "spoke"
    extra = 0
    autocomplete_fields = ["hub"]
    filter_horizontal = ["specialties"]
    verbose_name_plural = _("hubs supporting this facility")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_scope(request.user).is_network_admin


@admin.register(Facility)
class FacilityAdmin(NetworkAdminMixin, admin.ModelAdmin[Facility]):
    list_display = ["name", "code", "kind", "level", "province", "is_hub", "status"]
    list_filter = ["kind", "level", "is_hub", "status", "province"]
    search_fields = ["search_name", "code"]
    autocomplete_fields = ["commune"]
    list_select_related = ["province"]
    readonly_fields = ["public_id", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "short_name", "code", "kind", "level", "is_hub", "status"]}),
        (
            _("Place"),
            {"fields": ["province", "commune", "address", "phone", "latitude", "longitude"]},
        ),
        (_("Identifiers and dates"), {"fields": ["public_id", "created_at", "updated_at"]}),
    ]
    inlines = [HubLinkInline]
    show_full_result_count = False

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> Any:
        # Fold the search like the directory does, so "lung cu" finds "Lũng Cú" here too.
        if not search_term:
            return queryset, False
        return queryset.search(search_term), False


@admin.register(SupportLink)
class SupportLinkAdmin(NetworkAdminMixin, admin.ModelAdmin[SupportLink]):
    list_display = ["spoke", "hub", "priority", "valid_from", "valid_to", "status"]
    list_filter = ["status", "hub", "specialties"]
    search_fields = ["spoke__search_name", "hub__search_name", "spoke__code"]
    autocomplete_fields = ["hub", "spoke"]
    filter_horizontal = ["specialties"]
    list_select_related = ["hub", "spoke"]
    show_full_result_count = False


@admin.register(Membership)
class MembershipAdmin(NetworkAdminMixin, admin.ModelAdmin[Membership]):
    list_display = [
        "user",
        "role",
        "profession",
        "facility",
        "licence_number",
        "is_head",
        "is_active",
    ]
    list_filter = ["role", "profession", "is_head", "is_active"]
    search_fields = [
        "user__search_name",
        "user__username",
        "licence_number",
        "facility__search_name",
    ]
    autocomplete_fields = ["user", "facility"]
    filter_horizontal = ["specialties"]
    list_select_related = ["user", "facility"]
    show_full_result_count = False
