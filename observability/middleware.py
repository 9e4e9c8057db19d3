from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from observability import context


class RequestContextMiddleware:
    """Gives every request a log context of its own: a RequestId at once, and the signed-in member's
    account AppID once the console's middleware has found it (``process_view`` runs after every
    middleware's request phase). The API replaces the RequestId with the one it answers with, and adds
    the caller's AppID and the action (api/dispatch.py). Placed first, so every middleware's lines carry
    the RequestId too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with context.scope(request_id=str(uuid.uuid4())):
            return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any) -> None:
        account = getattr(getattr(request, "member", None), "account", None)
        context.bind(app_id=getattr(account, "app_id", None))
