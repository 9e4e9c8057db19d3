"""Views that exist only in these tests: one that logs a line, one that fails with a photo and a secret
in its hands (what an API view holds while it works)."""

import json
import logging

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

log = logging.getLogger("tests.observability")


def logs_a_line(request: HttpRequest) -> HttpResponse:
    log.warning("a line from the view")
    return HttpResponse("ok")


@csrf_exempt
def fails(request: HttpRequest) -> HttpResponse:
    params = json.loads(request.body)
    secret_key = params["SecretKey"]
    photo = params["MergeInfos"][0]["Image"]
    raise RuntimeError(f"fusion failed for a photo of {len(photo)} characters signed with a key of {len(secret_key)}")


urlpatterns = [path("logs/", logs_a_line), path("fails/", fails)]
