"""Per-address and per-email counters for sign-up and password reset, in the shared cache.

Every attempt counts, whether or not the email is registered, so being limited says nothing
about an address; the per-email limit keeps anyone from flooding one mailbox.
"""

import hashlib

from console.counters import counter_bump
from selfservice import conf


def _key(action: str, kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"selfservice:{action}:{kind}:{digest}"


def attempt_allowed(*, action: str, ip: str, email: str) -> bool:
    """Counts one attempt of ``action`` and says whether it is within both limits."""
    window = conf.rate_window()
    ip_count = counter_bump(_key(action, "ip", ip or "-"), window=window)
    email_count = counter_bump(_key(action, "email", email or "-"), window=window) if email else 0
    return ip_count <= conf.rate_per_ip() and email_count <= conf.rate_per_email()
