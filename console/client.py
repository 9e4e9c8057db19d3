"""Who is calling: the client's address, for throttles and audit.

Behind reverse proxies REMOTE_ADDR is the nearest proxy, so every visitor would share one
throttle bucket. With ``TRUSTED_PROXY_HOPS`` = N, the address is the N-th entry from the right of
X-Forwarded-For (each trusted proxy appends the address it saw); entries further left were written
by the client and are not believed.
"""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    remote = request.META.get("REMOTE_ADDR", "")
    hops = settings.TRUSTED_PROXY_HOPS
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < hops:
        # Fewer entries than trusted proxies: the request did not come through all of them.
        return remote
    return forwarded[-hops]
