"""The administrator keeps the partners, the priority areas and the exchange rates (also loaded
with ``caunoi exchange_rates FILE``). Saves go through the audited registry services."""

from django.contrib import admin

from caunoi.audit.admin import NetworkAdminMixin
from caunoi.programmes.models import ExchangeRate, Partner, PriorityArea


@admin.register(Partner)
class PartnerAdmin(NetworkAdminMixin, admin.ModelAdmin[Partner]):
    list_display = ["short_name", "name", "kind", "country", "iati_ref"]
    list_filter = ["kind"]
    search_fields = ["short_name", "name"]


@admin.register(PriorityArea)
class PriorityAreaAdmin(NetworkAdminMixin, admin.ModelAdmin[PriorityArea]):
    list_display = ["code", "name_vi", "name_en", "position"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(NetworkAdminMixin, admin.ModelAdmin[ExchangeRate]):
    list_display = ["currency", "on", "vnd"]
    list_filter = ["currency"]
