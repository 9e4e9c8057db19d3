"""Like ``console.decorators.member_required`` but without its "service activated" gate: the
pages a not-yet-activated account must reach (activation, profile, filing) use this one."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from console.roles import role_can

View = Callable[..., HttpResponse]


def member_required_any_service(capability: str) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            member = request.member
            if member is None or not role_can(member.role, capability):
                raise PermissionDenied
            request.account = member.account
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
