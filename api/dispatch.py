"""One API call: read, route, authenticate, check the account, rate-limit, run, meter."""

from __future__ import annotations

import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _

from api import envelope, errors
from api.errors import ApiError
from api.fetch import SafeFetcher
from api.ratelimit import RateLimitUnavailable, rate_limit_hit
from api.tc3 import SignedRequest, Tc3Verifier
from api.usage import usage_record
from console.dbretry import DISCONNECTED, reconnecting
from console.models import Account, AccountStatus, ApiCredential, ServiceStatus
from observability import context, metrics

log = logging.getLogger(__name__)

VERSIONS = ("2022-09-27", "2018-12-01")
DESCRIBE_MATERIAL_LIST_QPS = 1
USAGE_RETRY_SECONDS = 5.0
# Video jobs are long: submissions are few, queries poll (our defaults; docs/api.md).
ACTION_QPS = {"DescribeMaterialList": DESCRIBE_MATERIAL_LIST_QPS, "SubmitVideoFaceFusionJob": 5,
              "QueryVideoFaceFusionJob": 20}


@dataclass
class ApiCall:
    request_id: str
    action: str
    version: str
    language: str
    account: Account
    credential: ApiCredential
    http: HttpRequest
    fetcher: SafeFetcher
    # Filled in by the action for the usage record.
    campaign_project_id: str = ""
    material_model_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def english(self) -> bool:
        return self.language == "en"


Handler = Callable[[ApiCall, dict], dict]


def _handlers() -> dict[str, dict[str, Handler]]:
    from api.actions import fuseface, fusefaceultra, materials, video

    return {
        "SubmitVideoFaceFusionJob": {"2022-09-27": video.submit_video_face_fusion_job},
        "QueryVideoFaceFusionJob": {"2022-09-27": video.query_video_face_fusion_job},
        "FuseFace": {"2022-09-27": fuseface.fuse_face_2022, "2018-12-01": fuseface.fuse_face_2018},
        "FuseFaceUltra": {"2022-09-27": fusefaceultra.fuse_face_ultra},
        "FaceFusion": {"2018-12-01": fuseface.face_fusion_2018},
        "DescribeMaterialList": {"2022-09-27": materials.describe_material_list_2022,
                                 "2018-12-01": materials.describe_material_list_2018},
    }


# FaceFusion (2018) is the single-face form of FuseFace: it shares its meter and its limit.
METERED_AS = {"FaceFusion": "FuseFace"}

_ACCOUNT_STATUS_ERRORS: dict[str, str] = {
    AccountStatus.FROZEN: errors.RESOURCE_FREEZE,
    AccountStatus.IN_ARREARS: errors.RESOURCE_IN_ARREARS,
    AccountStatus.STOPPED: errors.RESOURCE_STOP_USING,
}
_SERVICE_STATUS_ERRORS: dict[str, str] = {
    ServiceStatus.NOT_OPENED: errors.RESOURCE_NOT_EXIST,
}


def _read_body(request: HttpRequest) -> bytes:
    if request.method != "POST":
        raise ApiError(errors.UNSUPPORTED_PROTOCOL)
    cap = settings.API_MAX_BODY_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > cap:
        raise ApiError(errors.REQUEST_SIZE_LIMIT_EXCEEDED)
    # Read the stream directly: request.body would apply DATA_UPLOAD_MAX_MEMORY_SIZE, which is
    # the console's limit, not the API's.
    body = request.read(cap + 1)
    if len(body) > cap:
        raise ApiError(errors.REQUEST_SIZE_LIMIT_EXCEEDED)
    return body


def _route(request: HttpRequest) -> tuple[str, str, Handler]:
    action = request.headers.get("X-TC-Action", "").strip()
    version = request.headers.get("X-TC-Version", "").strip()
    if not action:
        raise errors.missing("X-TC-Action")
    handlers = _handlers()
    if action not in handlers:
        raise ApiError(errors.INVALID_ACTION)
    if not version:
        raise errors.missing("X-TC-Version")
    if version not in VERSIONS:
        raise ApiError(errors.NO_SUCH_VERSION)
    if version not in handlers[action]:
        raise ApiError(errors.INVALID_ACTION)
    return action, version, handlers[action][version]


def _signed(request: HttpRequest, body: bytes) -> SignedRequest:
    headers = {k.lower(): v for k, v in request.headers.items()}
    return SignedRequest(method=request.method or "POST", path=request.path, query=request.META.get("QUERY_STRING", ""),
                         headers=headers, body=body)


def authenticate(request: HttpRequest, body: bytes, verifier: Tc3Verifier) -> ApiCredential:
    from console.crypto import decrypt_secret
    from console.roles import role_can
    from console.selectors import credential_by_secret_id

    signed = _signed(request, body)
    auth, _timestamp = verifier.check_envelope(signed)
    credential = credential_by_secret_id(auth.secret_id)
    if credential is None or credential.status != "enabled":
        # A disabled key answers like a missing one, as on the cloud.
        raise ApiError(errors.AUTH_SECRET_ID_NOT_FOUND)
    verifier.verify(signed, auth, decrypt_secret(credential.secret_key_encrypted))
    member = credential.member
    if not member.user.is_active or not role_can(member.role, "keys.own"):
        raise ApiError(errors.AUTH_UNAUTHORIZED_OPERATION)
    return credential


def _check_account(account: Account) -> None:
    code = _ACCOUNT_STATUS_ERRORS.get(account.status) or _SERVICE_STATUS_ERRORS.get(account.service_status)
    if code:
        raise ApiError(code)


def _check_action_access(call: ApiCall) -> None:
    """FuseFaceUltra answers only where an operator turned it on (as FuseFace answers only once the
    service is activated): ResourceUnavailable.NotExist otherwise, before the rate limit counts it."""
    from billing.selectors import ultra_enabled

    if call.action == "FuseFaceUltra" and not ultra_enabled(account=call.account):
        raise ApiError(errors.RESOURCE_NOT_EXIST, _("FuseFaceUltra is not activated for this account; ask the "
                                                    "platform operator to turn it on."))


def _rate_limit(call: ApiCall) -> None:
    metered = METERED_AS.get(call.action, call.action)
    if metered == "FuseFace":
        from billing.selectors import fuseface_qps_limit

        rate = fuseface_qps_limit(account=call.account)
    elif metered == "FuseFaceUltra":
        from billing.selectors import fusefaceultra_qps_limit

        rate = fusefaceultra_qps_limit(account=call.account)
    else:
        rate = ACTION_QPS[metered]
    try:
        decision = rate_limit_hit(account_id=call.account.id, action=metered, rate=rate)
    except RateLimitUnavailable:
        raise ApiError(errors.INTERNAL_ERROR)
    if not decision.allowed:
        metrics.rate_limit_refusal_count(action=call.action)
        raise ApiError(errors.REQUEST_LIMIT_EXCEEDED)


def _parse(body: bytes) -> dict:
    try:
        params = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(errors.INVALID_PARAMETER, "The request body is not valid JSON.")
    except RecursionError:
        # json's C parser stops at the interpreter's recursion limit; a signed body may still nest
        # objects 100,000 deep, and that is the caller's mistake, not an internal error.
        raise ApiError(errors.INVALID_PARAMETER, "The request body is nested too deeply.")
    if not isinstance(params, dict):
        raise ApiError(errors.INVALID_PARAMETER, "The request body must be a JSON object.")
    return params


def handle(request: HttpRequest, *, verifier: Tc3Verifier | None = None,
           fetcher: SafeFetcher | None = None) -> HttpResponse:
    started = time.monotonic()
    request_id = str(uuid.uuid4())
    language = "en" if request.headers.get("X-TC-Language", "").lower().startswith("en") else "zh-hans"
    verifier = verifier or Tc3Verifier()
    call: ApiCall | None = None
    # Unrouted calls count under "-": the header is the caller's to fill, and a metric's labels are not.
    routed_action = "-"
    # Every line logged for this call (here, in the services, in the worker running its job) carries
    # its RequestId, and once known its action and the caller's AppID.
    with translation.override(language), context.scope(request_id=request_id):
        try:
            body = _read_body(request)
            action, version, handler = _route(request)
            routed_action = action
            context.bind(action=action)
            credential = authenticate(request, body, verifier)
            call = ApiCall(request_id=request_id, action=action, version=version, language=language,
                           account=credential.account, credential=credential, http=request,
                           fetcher=fetcher or SafeFetcher(allow=settings.API_FETCH_ALLOW))
            context.bind(app_id=call.account.app_id)
            _check_account(call.account)
            _check_action_access(call)
            _rate_limit(call)  # before any parsing or image work
            data = handler(call, _parse(body))
            code = errors.SUCCESS
            response = envelope.success(data, request_id)
        except ApiError as exc:
            code = exc.code
            response = envelope.error(exc.code, exc.message, request_id)
        except Exception:
            log.exception("API call %s failed", request_id)
            code = errors.INTERNAL_ERROR
            response = envelope.error(code, str(ApiError(code).message), request_id)
        metrics.api_call_count(action=routed_action, code=code)
        if call is not None:
            _finish(call, code, started)
    return response


def _finish(call: ApiCall, code: str, started: float) -> None:
    from console.services import credential_touch

    latency_ms = int((time.monotonic() - started) * 1000)
    try:
        # The connection may have been cut while the call waited for its job (a database restart):
        # reconnect, since the record is what the job and the answer are checked against.
        reconnecting(lambda: usage_record(request_id=call.request_id, account=call.account,
                                          action=METERED_AS.get(call.action, call.action), result_code=code,
                                          latency_ms=latency_ms, campaign_project_id=call.campaign_project_id,
                                          material_model_id=call.material_model_id), seconds=USAGE_RETRY_SECONDS)
    except Exception:
        # The caller's answer is decided; losing its meter row is logged loudly, not turned into
        # a second, different answer.
        log.exception("usage record for %s failed", call.request_id)
    with contextlib.suppress(*DISCONNECTED):  # a last-used date is not worth an error answer
        credential_touch(credential=call.credential)
