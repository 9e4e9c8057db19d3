"""Error reports to Sentry (``SENTRY_DSN``), through sentry-sdk's Django and Celery integrations.

Nothing a caller sent as an image and no secret may leave: the API's bodies carry photos and templates
as base64 (``Image``, ``Url``, ``ModelImage``, ``LogoParam``...), Celery's fusion messages carry the
same photos as task arguments, and a SecretKey is decrypted in memory to check a signature. So:

- local variables are never collected (``include_local_variables=False``), and ``scrub`` drops any
  that would be there anyway;
- ``scrub`` (``before_send``) walks the whole event — request body, headers, query, cookies, extra
  (Celery's task arguments), contexts, breadcrumbs, exception values — and replaces the values of
  sensitive keys (``Authorization``, every ``X-TC-*`` header, anything naming a secret, a password, a
  token, an image, a URL, a logo or base64) and every run of base64 long enough to be image data,
  wherever it appears in a string;
- no personal data (sentry-sdk's default, left as it is): no cookies, no user, no client address.
"""

from __future__ import annotations

import re
from typing import Any

FILTERED = "[Filtered]"
# Keys whose values never leave, compared in lower case with - and _ removed (HTTP headers arrive as
# "X-Tc-Timestamp" or "HTTP_X_TC_TIMESTAMP").
_SENSITIVE_KEY = re.compile(r"^(httpx?tc|xtc)|authorization|secret|password|passwd|token|cookie|session|csrf|"
                            r"image|url|logo|b64|base64|signature|credential")
# 64 characters of base64 in a row, mixing capitals, small letters and digits, are no word, path or
# hash this project writes (paths break on "." "-" "_", hashes have no capitals): image data.
_BASE64_RUN = re.compile(r"(?:data:[\w/+.-]+;base64,)?[A-Za-z0-9+/]{64,}={0,2}")


def _base64_out(match: re.Match[str]) -> str:
    run = match.group(0)
    mixed = any(c.isupper() for c in run) and any(c.islower() for c in run) and any(c.isdigit() for c in run)
    return FILTERED if mixed or run.startswith("data:") else run


def _sensitive(key: object) -> bool:
    return isinstance(key, str) and bool(_SENSITIVE_KEY.search(key.lower().replace("-", "").replace("_", "")))


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _BASE64_RUN.sub(_base64_out, value)
    if isinstance(value, dict):
        return {k: FILTERED if _sensitive(k) else _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        # Headers may come as [name, value] pairs.
        if len(value) == 2 and _sensitive(value[0]) and isinstance(value[1], str):
            return [value[0], FILTERED]
        return [_clean(v) for v in value]
    return value


def scrub(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """``before_send``: the event with every image, secret and local variable taken out."""
    for exception in (event.get("exception") or {}).get("values") or []:
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    for thread in (event.get("threads") or {}).get("values") or []:
        for frame in (thread.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    # The page's own address stays (its key says "url"); only its query could carry anything.
    request = event.get("request") or {}
    address = request.get("url")
    cleaned = _clean(event)
    if isinstance(address, str):
        cleaned["request"]["url"] = _clean(address)
    return cleaned


def sentry_init(*, dsn: str, environment: str, release: str = "", traces_sample_rate: float = 0.0) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(dsn=dsn, environment=environment, release=release or None,
                    integrations=[DjangoIntegration(), CeleryIntegration()],
                    include_local_variables=False, max_request_body_size="medium",
                    traces_sample_rate=traces_sample_rate, before_send=scrub,  # type: ignore[arg-type]
                    before_send_transaction=scrub)  # type: ignore[arg-type]
