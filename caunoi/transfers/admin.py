"""The administrator keeps the catalogue of techniques (the Ministry's list, Circular
23/2024/TT-BYT, as the network uses it). Saves and deletes go through the audited registry
services (``audit.admin.NetworkAdminMixin``)."""

from django.contrib import admin

from caunoi.audit.admin import NetworkAdminMixin
from caunoi.transfers.models import Technique


@admin.register(Technique)
class TechniqueAdmin(NetworkAdminMixin, admin.ModelAdmin[Technique]):
    list_display = ["code", "name_vi", "specialty", "level", "is_active"]
    list_filter = ["level", "is_active", "specialty"]
    search_fields = ["code", "search_text"]
