"""Video fusion jobs in the operators' read-only admin (console/admin.py)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from console.admin import WHEN, ReadOnlyAdmin, column, operator_admin_site, titled
from video.models import VideoJob


@admin.register(VideoJob, site=operator_admin_site)
class VideoJobAdmin(ReadOnlyAdmin):
    list_display = (WHEN, "app_id", column("job_id", "JobId"), column("request_id", "RequestId"),
                    column("source", _("Source")), column("status", _("Status")),
                    column("material_model_id", "ModelId"),
                    column("billed_seconds", _("Billed seconds")), column("error_code", _("Error code")),
                    column("finished_at", _("Finished at")))
    list_filter = (("status", titled(_("Status"))), ("source", titled(_("Source"))))
    search_fields = ("=account__app_id", "=request_id", "=job_id", "=material_model_id", "=campaign_project_id")
    search_help_text = _("AppID, RequestId, JobId, ModelId or ProjectId (exact).")
    list_select_related = ("account",)
    date_hierarchy = "created_at"

    @admin.display(description="AppID", ordering="account__app_id")
    def app_id(self, job: VideoJob) -> int:
        return job.account.app_id
