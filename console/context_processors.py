from typing import Any, cast

from django.http import HttpRequest

from console.http import ConsoleRequest
from console.navigation import build_nav
from console.selectors import is_operator


def console_shell(request: HttpRequest) -> dict[str, Any]:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    member = cast(ConsoleRequest, request).member
    operator = is_operator(request.user)
    return {
        "member": member,
        "current_account": member.account if member else None,
        "is_operator": operator,
        "nav": build_nav(member=member, operator=operator),
    }
