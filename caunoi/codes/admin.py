from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from caunoi.audit.admin import NetworkAdminMixin
from caunoi.codes.models import IcdCode, IcdGroup, TitleSource


class TitledAdmin(NetworkAdminMixin, admin.ModelAdmin[IcdCode | IcdGroup]):
    """Administrators may correct a Vietnamese title; codes and English titles come from WHO.

    A title edited here is marked "admin": loading the project's translation leaves it alone,
    and the Ministry's list (``caunoi icd import-vi``) replaces it.
    """

    list_filter = ["title_vi_source"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if "title_vi" in form.changed_data:
            obj.title_vi = obj.title_vi.strip()
            obj.title_vi_source = TitleSource.ADMIN if obj.title_vi else TitleSource.NONE
        super().save_model(request, obj, form, change)


@admin.register(IcdCode)
class IcdCodeAdmin(TitledAdmin):
    list_display = ["code", "title_en", "title_vi", "title_vi_source", "is_leaf"]
    search_fields = ["code", "search_text"]
    readonly_fields = ["code", "title_en", "title_vi_source", "is_leaf"]
    fields = ["code", "title_en", "title_vi", "title_vi_source", "is_leaf"]

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> Any:
        if not search_term:
            return queryset, False
        return queryset.search(search_term), False


@admin.register(IcdGroup)
class IcdGroupAdmin(TitledAdmin):
    list_display = ["code", "kind", "title_en", "title_vi", "title_vi_source"]
    list_filter = ["kind", "title_vi_source"]
    search_fields = ["code", "title_en", "title_vi"]
    readonly_fields = ["code", "kind", "parent", "first", "last", "title_en", "title_vi_source"]
    fields = ["code", "kind", "parent", "first", "last", "title_en", "title_vi", "title_vi_source"]
