"""The administrator sees the criteria sets loaded (``caunoi quality_criteria <file>``) and
turns one off when a newer standard replaces it. Saves go through the audited registry
services (``audit.admin.NetworkAdminMixin``)."""

from django.contrib import admin

from caunoi.audit.admin import NetworkAdminMixin
from caunoi.quality.models import CriteriaSet


@admin.register(CriteriaSet)
class CriteriaSetAdmin(NetworkAdminMixin, admin.ModelAdmin[CriteriaSet]):
    list_display = ["code", "version", "name_vi", "levels", "is_sample", "is_active"]
    list_filter = ["is_active", "is_sample"]
    fields = ["code", "version", "name_vi", "name_en", "source", "levels", "is_sample", "is_active"]
    readonly_fields = ["code", "version", "levels", "is_sample"]
