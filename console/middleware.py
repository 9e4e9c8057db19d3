from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from console.selectors import member_for_user


class MemberMiddleware:
    """Puts the signed-in user's ``member`` (or None) on the request.

    Resolved eagerly, not with SimpleLazyObject: a lazy wrapper around None is not ``None``,
    so ``request.member is None`` would be False for operators and members-less users.
    Anonymous requests (the API, the sign-in page) cost no query.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.member = member_for_user(request.user)
        return self.get_response(request)
