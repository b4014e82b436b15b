"""Hub settings and the on-call roster in the administration pages. Consultations and
patients are deliberately not here: administrators manage the network, not patient records."""

from __future__ import annotations

from django.contrib import admin

from caunoi.audit.admin import NetworkAdminMixin
from caunoi.consults.models import HubSettings, OnCallShift


@admin.register(HubSettings)
class HubSettingsAdmin(NetworkAdminMixin, admin.ModelAdmin[HubSettings]):
    list_display = ["hub", "emergency_minutes", "urgent_minutes", "routine_minutes"]
    autocomplete_fields = ["hub"]


@admin.register(OnCallShift)
class OnCallShiftAdmin(NetworkAdminMixin, admin.ModelAdmin[OnCallShift]):
    list_display = ["hub", "user", "specialty", "starts_at", "ends_at"]
    list_filter = ["hub", "specialty"]
    autocomplete_fields = ["hub", "user"]
    date_hierarchy = "starts_at"
