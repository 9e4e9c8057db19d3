"""Video fusion jobs in the operators' read-only admin (console/admin.py)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from console.admin import ReadOnlyAdmin, operator_admin_site
from video.models import VideoJob


@admin.register(VideoJob, site=operator_admin_site)
class VideoJobAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "app_id", "job_id", "request_id", "source", "status", "material_model_id",
                    "billed_seconds", "error_code", "finished_at")
    list_filter = ("status", "source")
    search_fields = ("=account__app_id", "=request_id", "=job_id", "=material_model_id", "=campaign_project_id")
    search_help_text = _("AppID, RequestId, JobId, ModelId or ProjectId (exact).")
    list_select_related = ("account",)
    date_hierarchy = "created_at"

    @admin.display(description="AppID", ordering="account__app_id")
    def app_id(self, job: VideoJob) -> int:
        return job.account.app_id
