"""The operators' Django admin: read-only tables for looking things up (the ledger, usage records,
audit events, fusion and video jobs), mounted by config/urls.py at ``settings.ADMIN_PATH``.

Nobody may add, change or delete anything here, superusers included: every write goes through the
apps' services with their checks and audit rows. Only operators (console.selectors.is_operator)
who passed two-step verification in this session get in (console/mfa.py); sign-in is the
console's own, so the admin has no password form of its own. Each app registers its tables on
``operator_admin_site`` in its own admin.py, with ``ReadOnlyAdmin``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from console import mfa
from console.models import AuditEvent
from console.selectors import is_operator

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise


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

    def password_change(  # type: ignore[override]  # a redirect, not the admin's own form
            self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # The console's page, which checks the rules and writes the audit row.
        return redirect("console:password_change")


operator_admin_site = OperatorAdminSite(name="ops_admin")
# Deleting in bulk is the one action the admin offers by default.
operator_admin_site.disable_action("delete_selected")


def column(field: str, label: str | _StrPromise, *, boolean: bool = False) -> Callable[[Model], Any]:
    """A list column of ``field`` headed in the reader's language (the models' field names are
    English identifiers); choices show their labels."""

    def value(obj: Model) -> Any:
        display = getattr(obj, f"get_{field}_display", None)
        return display() if display else getattr(obj, field)

    value.__name__ = field
    return admin.display(description=label, ordering=field, boolean=boolean)(value)


def titled(label: str | _StrPromise, base: type[admin.FieldListFilter] = admin.ChoicesFieldListFilter
           ) -> type[admin.FieldListFilter]:
    """A list filter headed in the reader's language."""

    class Titled(base):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.title = label

    return Titled


WHEN = column("created_at", _("Time"))
APP_ID = "AppID"


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
    list_display = (WHEN, "app_id", column("actor_label", _("Who")), column("action", _("What")),
                    column("target_type", _("Object")), column("target_id", _("Object id")),
                    column("from_state", _("From")), column("to_state", _("To")), column("reason", _("Reason")))
    list_filter = (("action", titled(_("What"))), ("target_type", titled(_("Object"), admin.AllValuesFieldListFilter)))
    # AppID, and the object's id (a RequestId, a ModelId...), exactly; who, and the reason, in part.
    search_fields = ("=account__app_id", "=target_id", "actor_label", "reason")
    search_help_text = _("AppID, RequestId, ModelId or another object id (exact), or who or the reason (in part).")
    list_select_related = ("account",)
    date_hierarchy = "created_at"

    @admin.display(description=APP_ID, ordering="account__app_id")
    def app_id(self, event: AuditEvent) -> int | None:
        return event.account.app_id if event.account else None
