"""Two-step verification (两步验证): TOTP through django-otp, recovery codes, and the rule that an
operator works only verified (README, "Operators: two-step verification and the admin";
docs/tenancy.md).

- A user is *enrolled* when they have a confirmed TOTP device. An enrolled user signs in with the
  password, then a code; until the code, the session reaches nothing but the verification page
  (console.middleware.MfaMiddleware).
- Operators must enrol before any operator page or the admin works; customers may enrol.
- Recovery codes are django-otp static tokens: ``RECOVERY_CODE_COUNT`` of them, shown once, each
  accepted once, all replaced when regenerated.
- Wrong codes are counted by the sign-in lockout under a key of their own
  (``login_throttle.code_source``).
- Enrolment, a passed verification (which kind of code), regenerated codes and a reset each write
  an audit row.
"""

import base64
import re
import time
from io import BytesIO
from urllib.parse import quote

import django_otp
import segno
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp.oath import hotp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from console import login_throttle
from console.client import client_ip
from console.models import Account, AuditAction
from console.selectors import is_operator, member_for_user
from console.services import audit_record

RECOVERY_CODE_COUNT = 10
# The secret being enrolled lives in the (server-side) session until a code proves the app has it:
# showing the enrolment page writes no row.
_PENDING_KEY = "mfa-pending-key"
_TOTP_STEP, _TOTP_DIGITS, _TOTP_TOLERANCE = 30, 6, 1


# --- reads ----------------------------------------------------------------------------------------

def totp_device(user: User | AnonymousUser) -> TOTPDevice | None:
    if not user.is_authenticated:
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def is_enrolled(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def enrolled_user_ids(user_ids: list[int]) -> set[int]:
    return set(TOTPDevice.objects.filter(user_id__in=user_ids, confirmed=True).values_list("user_id", flat=True))


def is_verified(user: User | AnonymousUser) -> bool:
    """Whether this session passed two-step verification (django-otp's middleware says so)."""
    verified = getattr(user, "is_verified", None)
    return bool(user.is_authenticated and verified is not None and verified())


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def pending_step(request: HttpRequest, user: User | AnonymousUser | None = None) -> str | None:
    """The page a signed-in user must pass before any other: the code (enrolled), the enrolment
    (an operator not enrolled yet), or None."""
    user = user or request.user
    if not user.is_authenticated or is_verified(user):
        return None
    if is_enrolled(user):
        return "console:mfa_verify"
    if is_operator(user):
        return "console:mfa_setup"
    return None


def step_url(step: str, next_url: str) -> str:
    return f"{reverse(step)}?next={quote(next_url)}"


def step_redirect(request: HttpRequest, step: str) -> HttpResponseRedirect:
    return step_redirect_to(step, request.get_full_path())


def step_redirect_to(step: str, next_url: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(step_url(step, next_url))


def pending_key(session: SessionBase) -> str:
    """The secret offered to this session for enrolment (hex), the same on every reload."""
    key = session.get(_PENDING_KEY)
    if not key:
        key = session[_PENDING_KEY] = random_hex(20)
    return str(key)


def secret_text(key: str) -> str:
    """The secret as authenticator apps take it typed in: base32, in groups of four."""
    raw = base64.b32encode(bytes.fromhex(key)).decode().rstrip("=")
    return " ".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def provisioning_uri(*, user: User, key: str) -> str:
    secret = base64.b32encode(bytes.fromhex(key)).decode().rstrip("=")
    issuer = settings.OTP_TOTP_ISSUER
    label = quote(f"{issuer}:{user.get_username()}")
    return f"otpauth://totp/{label}?secret={secret}&issuer={quote(issuer)}&algorithm=SHA1&digits=6&period=30"


def qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as an SVG element, drawn here: no script, no image from elsewhere."""
    out = BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False, svgns=True,
                                    nl=False, title="QR", dark="#111", light="#fff")
    return out.getvalue().decode()


def _normalized(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def _totp_matches(key: str, code: str, *, after_t: int) -> int | None:
    """The time step ``code`` belongs to, within the tolerance and after the last one used; None
    when it matches none (a code is accepted once)."""
    if not (code.isdigit() and len(code) == _TOTP_DIGITS):
        return None
    now_t = int(time.time()) // _TOTP_STEP
    for t in range(now_t - _TOTP_TOLERANCE, now_t + _TOTP_TOLERANCE + 1):
        if t > after_t and hotp(bytes.fromhex(key), t, digits=_TOTP_DIGITS) == int(code):
            return t
    return None


# --- writes ---------------------------------------------------------------------------------------

def _account_of(user: User) -> Account | None:
    member = member_for_user(user)
    return member.account if member else None


def _codes_replace(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def totp_enrol(*, request: HttpRequest, user: User, key: str, code: str) -> list[str]:
    """Turns two-step verification on with ``key`` once ``code`` shows the app has it; this session
    counts as verified. Returns the recovery codes, for showing once."""
    source = login_throttle.code_source(request, username=user.get_username(), ip=client_ip(request))
    _reserve(source)
    step = _totp_matches(key, _normalized(code), after_t=-1)
    if step is None:
        raise ValidationError(_("The code does not match. Check the time on your phone and enter the "
                                "code shown now."), code="invalid")
    with transaction.atomic():
        # Two tabs enrolling at once: the user's row serializes them, the second finds the first.
        User.objects.select_for_update().filter(pk=user.pk).first()
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise ValidationError(_("Two-step verification is already on."), code="enrolled")
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name="totp", key=key, confirmed=True,
                                           step=_TOTP_STEP, digits=_TOTP_DIGITS, tolerance=_TOTP_TOLERANCE,
                                           last_t=step)
        codes = _codes_replace(user)
        audit_record(actor=user, account=_account_of(user), action=AuditAction.MFA_ENROL, target_type="user",
                     target_id=user.pk, to_state="on")
    login_throttle.succeeded(source)
    request.session.pop(_PENDING_KEY, None)
    django_otp.login(request, device)
    return codes


def _reserve(source: login_throttle.Source) -> None:
    if login_throttle.is_locked(source) or not login_throttle.attempt_reserve(source):
        raise ValidationError(
            _("Too many wrong codes. Try again in %(minutes)d minutes, or ask the platform operator to unlock "
              "the login."), code="locked", params={"minutes": max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)})


def mfa_verify(*, request: HttpRequest, code: str) -> None:
    """Checks the code (from the app, or a recovery code, which is then spent) of the signed-in
    user and marks this session verified; a wrong code raises ValidationError and stays counted."""
    user = request.user
    assert isinstance(user, User)
    source = login_throttle.code_source(request, username=user.get_username(), ip=client_ip(request))
    _reserve(source)
    code = _normalized(code)
    totp = totp_device(user)
    device: TOTPDevice | StaticDevice | None = None
    kind = ""
    if totp is not None and code.isdigit() and len(code) == _TOTP_DIGITS:  # recovery codes have 8
        with transaction.atomic():
            # The row lock makes "a code is accepted once" hold across concurrent requests.
            totp = TOTPDevice.objects.select_for_update().get(pk=totp.pk)
            step = _totp_matches(totp.key, code, after_t=totp.last_t)
            if step is not None:
                TOTPDevice.objects.filter(pk=totp.pk).update(last_t=step)
                device, kind = totp, "totp"
    elif code:
        with transaction.atomic():
            token = (StaticToken.objects.select_for_update().filter(device__user=user, device__confirmed=True,
                                                                     token=code).select_related("device").first())
            if token is not None:
                device, kind = token.device, "recovery"
                token.delete()
    if device is None:
        raise ValidationError(_("The code is not right. Enter the 6 digits your app shows now, or a recovery code."),
                              code="invalid")
    login_throttle.succeeded(source)
    data: dict[str, str | int] = {"kind": kind}
    if kind == "recovery":
        data["recovery_codes_left"] = recovery_codes_left(user)
    audit_record(actor=user, account=_account_of(user), action=AuditAction.MFA_USE, target_type="user",
                 target_id=user.pk, reason=kind, data=data)
    django_otp.login(request, device)


def recovery_codes_regenerate(*, user: User) -> list[str]:
    """New recovery codes for an enrolled user; the old ones stop working."""
    with transaction.atomic():
        if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise ValidationError(_("Turn on two-step verification first."), code="not_enrolled")
        codes = _codes_replace(user)
        audit_record(actor=user, account=_account_of(user), action=AuditAction.MFA_CODES, target_type="user",
                     target_id=user.pk)
    return codes


def mfa_reset(*, user: User, actor: User | None, reason: str = "") -> bool:
    """Turns two-step verification off for ``user`` (an operator for a login that lost its phone,
    or a customer for their own): the app's secret and every recovery code are gone, and an
    operator must enrol again at the next sign-in. False when it was not on."""
    with transaction.atomic():
        deleted, _counts = TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        if not deleted:
            return False
        audit_record(actor=actor, account=_account_of(user), action=AuditAction.MFA_RESET, target_type="user",
                     target_id=user.pk, from_state="on", to_state="off", reason=reason or user.get_username())
    return True
