from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from caunoi.audit.admin import NetworkAdminMixin
from caunoi.places.models import Commune, Province


@admin.register(Province)
class ProvinceAdmin(NetworkAdminMixin, admin.ModelAdmin[Province]):
    list_display = ["code", "name", "division_type", "phone_code"]
    search_fields = ["search_name", "code"]
    readonly_fields = [
        "code",
        "name",
        "short_name",
        "division_type",
        "codename",
        "phone_code",
        "legacy_codes",
    ]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # Loaded from the official list by `caunoi seed`.

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Commune)
class CommuneAdmin(NetworkAdminMixin, admin.ModelAdmin[Commune]):
    list_display = ["code", "name", "division_type", "province", "is_remote", "is_island"]
    list_filter = ["province", "division_type", "is_remote", "is_island"]
    list_select_related = ["province"]
    search_fields = ["search_name", "code"]
    readonly_fields = [
        "code",
        "name",
        "division_type",
        "codename",
        "province",
        "legacy_codes",
        "legacy_district_codes",
    ]
    fields = [*readonly_fields, "is_remote", "is_island"]

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> Any:
        if not search_term:
            return queryset, False
        if search_term.isdigit():
            return queryset.filter(code=int(search_term)), False
        return queryset.search(search_term), False

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
