from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from caunoi.codes.models import IcdCode
from caunoi.network.admin import NetworkAdminMixin


@admin.register(IcdCode)
class IcdCodeAdmin(NetworkAdminMixin, admin.ModelAdmin):
    """Administrators may add the Ministry's Vietnamese titles; codes come from the WHO list."""

    list_display = ["code", "title_en", "title_vi", "is_leaf"]
    search_fields = ["code", "search_text"]
    readonly_fields = ["code", "title_en", "is_leaf"]
    fields = ["code", "title_en", "title_vi", "is_leaf"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> Any:
        if not search_term:
            return queryset, False
        return queryset.search(search_term), False
