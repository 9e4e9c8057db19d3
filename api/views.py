"""The cloud-compatible endpoint: ``POST /`` (where the official SDKs send it) and ``POST /api/``."""

from typing import cast

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from api.dispatch import handle
from console.http import ConsoleRequest


@csrf_exempt
def endpoint(request: HttpRequest) -> HttpResponse:
    return handle(request)


@csrf_exempt
def root(request: HttpRequest) -> HttpResponse:
    """``/``: the API for POST, the console's home page for everything else."""
    if request.method == "POST":
        return handle(request)
    from console.views import home

    return home(cast(ConsoleRequest, request))
