from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from console.selectors import member_for_user


class MemberMiddleware:
    """Puts the signed-in user's ``member`` (or None) and ``account`` on the request, lazily."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.member = SimpleLazyObject(lambda: member_for_user(request.user))
        return self.get_response(request)
