"""The cloud's error codes, their messages and which of them are billed: the one table.

Codes are Tencent Cloud API 3.0's common ones and facefusion's (the official SDK's
``errorcodes.py``); clients switch on them, so they are never invented here. The API answers with
them (api/errors.py), fusion jobs end with them (fusion/services/), and billing bills by them
(billing/services/metering.py). The engine's own errors carry their own messages.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext_lazy as _

# Common (API 3.0).
AUTH_INVALID_AUTHORIZATION = "AuthFailure.InvalidAuthorization"
AUTH_SECRET_ID_NOT_FOUND = "AuthFailure.SecretIdNotFound"
AUTH_SIGNATURE_EXPIRE = "AuthFailure.SignatureExpire"
AUTH_SIGNATURE_FAILURE = "AuthFailure.SignatureFailure"
AUTH_UNAUTHORIZED_OPERATION = "AuthFailure.UnauthorizedOperation"
INTERNAL_ERROR = "InternalError"
INVALID_ACTION = "InvalidAction"
INVALID_PARAMETER = "InvalidParameter"
INVALID_PARAMETER_VALUE = "InvalidParameterValue"
MISSING_PARAMETER = "MissingParameter"
NO_SUCH_VERSION = "NoSuchVersion"
REQUEST_LIMIT_EXCEEDED = "RequestLimitExceeded"
REQUEST_SIZE_LIMIT_EXCEEDED = "RequestSizeLimitExceeded"
UNSUPPORTED_PROTOCOL = "UnsupportedProtocol"
UNSUPPORTED_REGION = "UnsupportedRegion"

# Face fusion.
ACTIVITY_ID_NOT_FOUND = "InvalidParameterValue.ActivityIdNotFound"
MATERIAL_ID_NOT_FOUND = "InvalidParameterValue.MaterialIdNotFound"
PARAMETER_VALUE_ERROR = "InvalidParameterValue.ParameterValueError"
FACE_RECT_ERROR = "InvalidParameterValue.FaceRectParameterValueError"
URL_ILLEGAL = "InvalidParameterValue.UrlIllegal"
FUSE_MATERIAL_NOT_AUTH = "FailedOperation.FuseMaterialNotAuth"
IMAGE_DOWNLOAD_ERROR = "FailedOperation.ImageDownloadError"
IMAGE_DECODE_FAILED = "FailedOperation.ImageDecodeFailed"
IMAGE_SIZE_EXCEED = "FailedOperation.ImageSizeExceed"
NO_FACE_DETECTED = "FailedOperation.NoFaceDetected"
FACE_SIZE_TOO_SMALL = "FailedOperation.FaceSizeTooSmall"
IMAGE_RESOLUTION_TOO_SMALL = "FailedOperation.ImageResolutionTooSmall"
IMAGE_RESOLUTION_EXCEED = "FailedOperation.ImageResolutionExceed"
IMAGE_PIXEL_EXCEED = "FailedOperation.ImagePixelExceed"
REQUEST_TIMEOUT = "FailedOperation.RequestTimeout"
# Video face fusion (SubmitVideoFaceFusionJob / QueryVideoFaceFusionJob).
JOB_NOT_EXIST = "FailedOperation.JobNotExist"
FACE_ID_NOT_IN_VIDEO = "FailedOperation.FaceIdNotInVideo"
INNER_ERROR = "FailedOperation.InnerError"
SERVER_ERROR = "FailedOperation.ServerError"
RESOURCE_FREEZE = "ResourceUnavailable.Freeze"
RESOURCE_IN_ARREARS = "ResourceUnavailable.InArrears"
RESOURCE_STOP_USING = "ResourceUnavailable.StopUsing"
RESOURCE_NOT_EXIST = "ResourceUnavailable.NotExist"
RESOURCE_IS_OPENING = "ResourceUnavailable.IsOpening"

# What a successful call records as its result code in the usage ledger.
SUCCESS = "Success"

# Errors caused by the caller's input are billable (the engine did the work); everything rejected
# before processing, rate-limited, or failed on our side is not (docs/billing.md).
BILLABLE_ERROR_CODES = frozenset({
    NO_FACE_DETECTED, FACE_SIZE_TOO_SMALL, IMAGE_DECODE_FAILED, IMAGE_RESOLUTION_TOO_SMALL, IMAGE_RESOLUTION_EXCEED,
    IMAGE_SIZE_EXCEED, IMAGE_PIXEL_EXCEED, IMAGE_DOWNLOAD_ERROR, URL_ILLEGAL,
})


def is_billable(code: str) -> bool:
    return code in ("", SUCCESS) or code in BILLABLE_ERROR_CODES

MESSAGES = {
    AUTH_INVALID_AUTHORIZATION: _("The Authorization header is missing or not a valid TC3-HMAC-SHA256 header."),
    AUTH_SECRET_ID_NOT_FOUND: _("The SecretId does not exist or is disabled; check it on the Access page."),
    AUTH_SIGNATURE_EXPIRE: _("The request timestamp is more than 300 seconds away from server time; "
                             "sync your clock and sign again."),
    AUTH_SIGNATURE_FAILURE: _("The signature does not match; check the SecretKey and the signing steps."),
    AUTH_UNAUTHORIZED_OPERATION: _("This key's login is disabled or may not call the API."),
    INTERNAL_ERROR: _("An internal error occurred; retry later."),
    INVALID_ACTION: _("The action does not exist; use FuseFace, FuseFaceUltra or DescribeMaterialList."),
    NO_SUCH_VERSION: _("The API version does not exist; use 2022-09-27 or 2018-12-01."),
    REQUEST_LIMIT_EXCEEDED: _("Too many requests for this account; slow down or buy more QPS."),
    REQUEST_SIZE_LIMIT_EXCEEDED: _("The request body is too large."),
    UNSUPPORTED_PROTOCOL: _("Only POST requests with a JSON body are supported."),
    UNSUPPORTED_REGION: _("The region in X-TC-Region is not served here; use one of the regions in API_REGIONS."),
    ACTIVITY_ID_NOT_FOUND: _("The campaign (ProjectId / ActivityId) does not exist."),
    MATERIAL_ID_NOT_FOUND: _("The material (ModelId / MaterialId) does not exist in this campaign."),
    FUSE_MATERIAL_NOT_AUTH: _("The material has not passed review and cannot be used for fusion yet."),
    URL_ILLEGAL: _("The image URL is not allowed; use a public http(s) address."),
    IMAGE_DOWNLOAD_ERROR: _("The image could not be downloaded from the URL; check that it is reachable."),
    IMAGE_DECODE_FAILED: _("The image could not be decoded; send a JPG or PNG."),
    IMAGE_SIZE_EXCEED: _("The image is too large: at most 5 MB as base64 or 10 MB by URL."),
    REQUEST_TIMEOUT: _("Fusion did not finish in time; retry the request."),
    INNER_ERROR: _("Face fusion internal error; retry later."),
    JOB_NOT_EXIST: _("The video fusion job does not exist."),
    FACE_ID_NOT_IN_VIDEO: _("The face ID is not in the video material; use face_0 or leave it empty."),
    SERVER_ERROR: _("Server error; retry later."),
    RESOURCE_FREEZE: _("The account is frozen; contact the platform operator."),
    RESOURCE_IN_ARREARS: _("The account is in arrears; pay the overdue bill to resume calls."),
    RESOURCE_STOP_USING: _("The account has been stopped; contact the platform operator."),
    RESOURCE_NOT_EXIST: _("The face fusion service is not activated for this account."),
    RESOURCE_IS_OPENING: _("The face fusion service is being activated; try again shortly."),
}


def message_pair(code: str) -> tuple[str, str]:
    """The code's message in Chinese and in English (the code itself when it has none here)."""
    default = MESSAGES.get(code)
    if default is None:
        return code, code
    with translation.override("zh-hans"):
        zh = str(default)
    with translation.override("en"):
        en = str(default)
    return zh, en
