from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from caunoi.audit.admin import NetworkAdminMixin
from caunoi.monitoring.models import Dhis2DataElement, Dhis2OrgUnit, Dhis2Push


@admin.register(Dhis2DataElement)
class Dhis2DataElementAdmin(NetworkAdminMixin, admin.ModelAdmin[Dhis2DataElement]):
    list_display = ["indicator", "data_element", "category_option_combo"]
    search_fields = ["indicator", "data_element"]


@admin.register(Dhis2OrgUnit)
class Dhis2OrgUnitAdmin(NetworkAdminMixin, admin.ModelAdmin[Dhis2OrgUnit]):
    list_display = ["org_unit", "province", "facility"]
    autocomplete_fields = ["province", "facility"]
    search_fields = ["org_unit"]


@admin.register(Dhis2Push)
class Dhis2PushAdmin(NetworkAdminMixin, admin.ModelAdmin[Dhis2Push]):
    list_display = ["at", "period", "values", "status", "ok", "actor"]
    readonly_fields = ["at", "period", "values", "status", "ok", "response", "actor"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
