"""Signed, expiring email-verification tokens (django.core.signing: HMAC over SECRET_KEY).

The token carries the user id and the address it was sent to, so changing the email
invalidates every earlier link.
"""

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing

# The app lived at console.selfservice when the first links were mailed: the salt keeps that name so
# links already sent stay valid.
_SALT = "console.selfservice.verify-email"


class TokenInvalid(Exception):
    pass


class TokenExpired(TokenInvalid):
    pass


def verification_token_make(*, user: User) -> str:
    return signing.dumps({"u": user.pk, "e": user.email.lower()}, salt=_SALT, compress=True)


def verification_token_read(token: str, *, max_age: int | None = None) -> tuple[int, str]:
    """``(user id, email)``; raises ``TokenExpired`` or ``TokenInvalid``."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=settings.SIGNUP_VERIFY_MAX_AGE if max_age is None else max_age)
    except signing.SignatureExpired as exc:
        raise TokenExpired from exc
    except signing.BadSignature as exc:
        raise TokenInvalid from exc
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("e"), str):
        raise TokenInvalid
    return data["u"], data["e"]
