"""Per-address and per-email counters for sign-up and password reset, in the shared cache.

Every attempt counts, whether or not the email is registered, so being limited says nothing
about an address; the per-email limit keeps anyone from flooding one mailbox.
"""

import hashlib

from django.conf import settings

from console.counters import counter_bump


def _key(action: str, kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"selfservice:{action}:{kind}:{digest}"


def attempt_allowed(*, action: str, ip: str, email: str) -> bool:
    """Counts one attempt of ``action`` and says whether it is within both limits."""
    window = settings.SELFSERVICE_RATE_WINDOW
    ip_count = counter_bump(_key(action, "ip", ip or "-"), window=window)
    email_count = counter_bump(_key(action, "email", email or "-"), window=window) if email else 0
    return ip_count <= settings.SELFSERVICE_RATE_PER_IP and email_count <= settings.SELFSERVICE_RATE_PER_EMAIL
