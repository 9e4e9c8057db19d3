from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from console import mfa
from console.http import ConsoleRequest
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
        cast(ConsoleRequest, request).member = member_for_user(request.user)
        return self.get_response(request)


class MfaMiddleware:
    """A signed-in user who owes a second step sees nothing else until it is done: an enrolled user
    the code, an operator not enrolled yet the enrolment (console/mfa.py). Signing out, switching
    the language and what is not a page of the session (the API, health checks, signed file links)
    stay reachable."""

    EXEMPT = frozenset({"console:mfa_verify", "console:mfa_setup", "console:logout", "set_language",
                        "console:jsi18n", "console:healthz", "console:readiness", "console:signed_media"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable, view_args: tuple,
                     view_kwargs: dict) -> HttpResponse | None:
        match = request.resolver_match
        if match is not None and match.view_name in self.EXEMPT:
            return None
        if request.method == "POST" and request.path_info == "/":  # the cloud API: signed, not a session
            return None
        step = mfa.pending_step(request)
        return mfa.step_redirect(request, step) if step else None


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Chinese unless the visitor chose English with the top bar's switch (the language cookie).

    Django's own middleware would follow the browser's Accept-Language, so a customer on an
    English operating system would land in English; the console is Chinese first and English
    one click away.
    """

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        try:
            language = translation.get_supported_language_variant(chosen) if chosen else settings.LANGUAGE_CODE
        except LookupError:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
