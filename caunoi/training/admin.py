"""The network administrator designates training centres (with their CME provider code) and
records when a worker's licence was issued; courses are published by the centres themselves.
Saves and deletes go through the audited registry services (``audit.admin.NetworkAdminMixin``)."""

from __future__ import annotations

from django.contrib import admin

from caunoi.audit.admin import NetworkAdminMixin
from caunoi.training.models import CmeProfile, TrainingCentre


@admin.register(TrainingCentre)
class TrainingCentreAdmin(NetworkAdminMixin, admin.ModelAdmin[TrainingCentre]):
    list_display = ["facility", "cme_provider_code", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["facility__name", "cme_provider_code"]
    autocomplete_fields = ["facility"]


@admin.register(CmeProfile)
class CmeProfileAdmin(NetworkAdminMixin, admin.ModelAdmin[CmeProfile]):
    list_display = ["user", "licence_issued_on"]
    search_fields = ["user__full_name", "user__username"]
    autocomplete_fields = ["user"]
