"""The operators' Django admin: read-only tables for looking things up (the ledger, usage records,
audit events, fusion and video jobs), mounted by config/urls.py at ``settings.ADMIN_PATH``.

Nobody may add, change or delete anything here, superusers included: every write goes through the
apps' services with their checks and audit rows. Only operators (console.selectors.is_operator)
who passed two-step verification in this session get in (console/mfa.py); sign-in is the
console's own, so the admin has no password form of its own. Each app registers its tables on
``operator_admin_site`` in its own admin.py, with ``ReadOnlyAdmin``."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from console import mfa
from console.models import AuditEvent
from console.selectors import is_operator


class OperatorAdminSite(admin.AdminSite):
    site_header = _("Ronghe operations (read-only)")
    site_title = _("Ronghe operations")
    index_title = _("Look-up tables")
    enable_nav_sidebar = False

    def has_permission(self, request: HttpRequest) -> bool:
        return is_operator(request.user) and mfa.is_verified(request.user)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """The console signs people in (password, then the code); a customer is refused outright."""
        target = request.GET.get("next") or reverse(f"{self.name}:index")
        if request.user.is_authenticated:
            if not is_operator(request.user):
                raise PermissionDenied
            step = mfa.pending_step(request)
            if step:
                return mfa.step_redirect_to(step, target)
        return redirect_to_login(target, login_url=reverse("console:login"))


operator_admin_site = OperatorAdminSite(name="ops_admin")
# Deleting in bulk is the one action the admin offers by default.
operator_admin_site.disable_action("delete_selected")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Views and searches, never writes. The site already let only verified operators in."""

    actions = None
    list_per_page = 50
    # Counting a large table on every page costs more than it tells.
    show_full_result_count = False

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.admin_site.has_permission(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.admin_site.has_permission(request)

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(AuditEvent, site=operator_admin_site)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "app_id", "actor_label", "action", "target_type", "target_id", "from_state",
                    "to_state", "reason")
    list_filter = ("action", "target_type")
    # AppID, and the object's id (a RequestId, a ModelId...), exactly; who, and the reason, in part.
    search_fields = ("=account__app_id", "=target_id", "actor_label", "reason")
    search_help_text = _("AppID, RequestId, ModelId or another object id (exact), or who or the reason (in part).")
    list_select_related = ("account",)
    date_hierarchy = "created_at"

    @admin.display(description="AppID", ordering="account__app_id")
    def app_id(self, event: AuditEvent) -> int | None:
        return event.account.app_id if event.account else None
