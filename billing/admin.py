"""The ledger and the usage records in the operators' read-only admin (console/admin.py)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from billing.models import LedgerEntry, UsageRecord
from console.admin import ReadOnlyAdmin, operator_admin_site


@admin.register(LedgerEntry, site=operator_admin_site)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "app_id", "book", "reason", "delta", "request_id", "note", "actor_label")
    list_filter = ("book", "reason")
    search_fields = ("=account__app_id", "=usage__request_id", "=usage__material_model_id", "note")
    search_help_text = _("AppID, RequestId or ModelId (exact), or the note (in part).")
    list_select_related = ("account", "usage")
    date_hierarchy = "created_at"

    @admin.display(description="AppID", ordering="account__app_id")
    def app_id(self, entry: LedgerEntry) -> int:
        return entry.account.app_id

    @admin.display(description="RequestId")
    def request_id(self, entry: LedgerEntry) -> str:
        return entry.usage.request_id if entry.usage else ""


@admin.register(UsageRecord, site=operator_admin_site)
class UsageRecordAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "app_id", "request_id", "action", "product", "material_model_id", "units",
                    "result_code", "billable", "settled_to", "settled_at")
    list_filter = ("action", "product", "billable", "settled_to", "source")
    search_fields = ("=account__app_id", "=request_id", "=material_model_id", "=campaign_project_id")
    search_help_text = _("AppID, RequestId, ModelId or ProjectId (exact).")
    list_select_related = ("account",)
    date_hierarchy = "created_at"

    @admin.display(description="AppID", ordering="account__app_id")
    def app_id(self, record: UsageRecord) -> int:
        return record.account.app_id
