from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from observability.exposition import CONTENT_TYPE, metrics_text, token_ok


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """``GET /metrics`` with ``Authorization: Bearer $METRICS_TOKEN``. Without a configured token the
    endpoint does not exist (404); a missing or wrong token is 403."""
    from django.conf import settings

    if not settings.METRICS_TOKEN:
        raise Http404
    if not token_ok(request.headers.get("Authorization", "")):
        return HttpResponse("A valid Authorization: Bearer token is required.\n", status=403,
                            content_type="text/plain; charset=utf-8")
    return HttpResponse(metrics_text(scrape_time=True), content_type=CONTENT_TYPE)
