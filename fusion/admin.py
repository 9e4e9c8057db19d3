"""Fusion jobs in the operators' read-only admin (console/admin.py)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from console.admin import WHEN, ReadOnlyAdmin, column, operator_admin_site, titled
from fusion.models import FusionJob


@admin.register(FusionJob, site=operator_admin_site)
class FusionJobAdmin(ReadOnlyAdmin):
    list_display = (WHEN, "app_id", column("request_id", "RequestId"), column("action", "Action"),
                    column("source", _("Source")), column("status", _("Status")),
                    column("material_model_id", "ModelId"),
                    column("result_code", _("Result code")), column("engine_ms", _("Engine time (ms)")),
                    column("finished_at", _("Finished at")))
    list_filter = (("status", titled(_("Status"))), ("action", titled("Action", admin.AllValuesFieldListFilter)),
                   ("source", titled(_("Source"))))
    search_fields = ("=account__app_id", "=request_id", "=material_model_id", "=campaign_project_id")
    search_help_text = _("AppID, RequestId, ModelId or ProjectId (exact).")
    list_select_related = ("account",)
    date_hierarchy = "created_at"

    @admin.display(description="AppID", ordering="account__app_id")
    def app_id(self, job: FusionJob) -> int:
        return job.account.app_id
