"""The ledger and the usage records in the operators' read-only admin (console/admin.py)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from billing.models import LedgerEntry, UsageRecord
from console.admin import WHEN, ReadOnlyAdmin, column, operator_admin_site, titled


@admin.register(LedgerEntry, site=operator_admin_site)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = (WHEN, "app_id", column("book", _("Book")), column("reason", _("Reason")),
                    column("delta", _("Change (fen or calls)")), "request_id", column("note", _("Note")),
                    column("actor_label", _("Who")))
    list_filter = (("book", titled(_("Book"))), ("reason", titled(_("Reason"))))
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
    list_display = (WHEN, "app_id", column("request_id", "RequestId"), column("action", "Action"),
                    column("product", _("Product")), column("material_model_id", "ModelId"),
                    column("units", _("Units (calls or seconds)")), column("result_code", _("Result code")),
                    column("billable", _("Billable"), boolean=True), column("settled_to", _("Settled to")),
                    column("settled_at", _("Settled at")))
    list_filter = (("action", titled("Action", admin.AllValuesFieldListFilter)), ("product", titled(_("Product"))),
                   ("billable", titled(_("Billable"), admin.BooleanFieldListFilter)),
                   ("settled_to", titled(_("Settled to"))), ("source", titled(_("Source"))))
    search_fields = ("=account__app_id", "=request_id", "=material_model_id", "=campaign_project_id")
    search_help_text = _("AppID, RequestId, ModelId or ProjectId (exact).")
    list_select_related = ("account",)
    date_hierarchy = "created_at"

    @admin.display(description="AppID", ordering="account__app_id")
    def app_id(self, record: UsageRecord) -> int:
        return record.account.app_id
