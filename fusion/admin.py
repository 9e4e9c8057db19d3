"""Fusion jobs in the operators' read-only admin (console/admin.py)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from console.admin import ReadOnlyAdmin, operator_admin_site
from fusion.models import FusionJob


@admin.register(FusionJob, site=operator_admin_site)
class FusionJobAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "app_id", "request_id", "action", "source", "status", "material_model_id",
                    "result_code", "engine_ms", "finished_at")
    list_filter = ("status", "action", "source")
    search_fields = ("=account__app_id", "=request_id", "=material_model_id", "=campaign_project_id")
    search_help_text = _("AppID, RequestId, ModelId or ProjectId (exact).")
    list_select_related = ("account",)
    date_hierarchy = "created_at"

    @admin.display(description="AppID", ordering="account__app_id")
    def app_id(self, job: FusionJob) -> int:
        return job.account.app_id
