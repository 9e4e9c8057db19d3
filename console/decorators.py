"""Access control for console views: a member with a capability, or an operator."""

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect

from console import mfa
from console.http import ConsoleRequest, MemberRequest
from console.models import ServiceStatus
from console.roles import role_can
from console.selectors import is_operator

View = Callable[..., HttpResponseBase]


def member_required(capability: str, *, activated: bool = True) -> Callable[[View], View]:
    """The view runs only for an active member whose role has ``capability``; with ``activated``
    (the default) only once the account has activated the service, else it leads to activation.
    The pages a not-yet-activated account must reach (activation, profile, filing) pass False.

    Sets ``request.account``; views read customer data only through it.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: ConsoleRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            member = request.member
            if member is None or not role_can(member.role, capability):
                raise PermissionDenied
            if activated and member.account.service_status != ServiceStatus.OPENED:
                return redirect("console:activate")
            cast(MemberRequest, request).account = member.account
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def operator_required(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_operator(request.user):
            raise PermissionDenied
        # No operator page without two-step verification (console/mfa.py); the middleware leads
        # there first, this holds wherever a view is reached.
        if step := mfa.pending_step(request):
            return mfa.step_redirect(request, step)
        return view(request, *args, **kwargs)

    return wrapped
