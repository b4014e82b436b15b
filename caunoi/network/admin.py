"""The network administrator's screens. Saves and deletes go through the audited registry
services; who may use these screens is decided by ``network.access`` like everything else."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from caunoi.network.access import user_scope
from caunoi.network.models import Facility, Membership, Specialty, SupportLink
from caunoi.network.services import registry_delete, registry_save


class NetworkAdminMixin:
    """Only network administrators manage the registry; every change is audited."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return user_scope(request.user).is_network_admin

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_scope(request.user).is_network_admin

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return user_scope(request.user).is_network_admin

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_scope(request.user).is_network_admin

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_scope(request.user).is_network_admin

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # The admin saves many-to-many fields in save_related(); the audit row is written by
        # registry_save and the admin's own transaction wraps both.
        registry_save(
            obj=obj, actor=request.user, changed_fields=list(form.changed_data), request=request
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            registry_delete(obj=obj, actor=request.user, request=request)
        for obj in instances:
            registry_save(obj=obj, actor=request.user, changed_fields=["inline"], request=request)
        formset.save_m2m()

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        registry_delete(obj=obj, actor=request.user, request=request)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            registry_delete(obj=obj, actor=request.user, request=request)


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
    list_display = ["user", "role", "profession", "facility", "licence_number", "is_active"]
    list_filter = ["role", "profession", "is_active"]
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
