"""The exception that carries one of the cloud's error codes to the envelope, and helpers for the
parameter errors. The codes and their messages are console/cloud_errors.py's.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from console.cloud_errors import (  # noqa: F401 - the API's modules use the codes as errors.<CODE>
    ACTIVITY_ID_NOT_FOUND,
    AUTH_INVALID_AUTHORIZATION,
    AUTH_SECRET_ID_NOT_FOUND,
    AUTH_SIGNATURE_EXPIRE,
    AUTH_SIGNATURE_FAILURE,
    AUTH_UNAUTHORIZED_OPERATION,
    FACE_RECT_ERROR,
    FACE_SIZE_TOO_SMALL,
    FUSE_MATERIAL_NOT_AUTH,
    IMAGE_DECODE_FAILED,
    IMAGE_DOWNLOAD_ERROR,
    IMAGE_PIXEL_EXCEED,
    IMAGE_RESOLUTION_EXCEED,
    IMAGE_RESOLUTION_TOO_SMALL,
    IMAGE_SIZE_EXCEED,
    INNER_ERROR,
    INTERNAL_ERROR,
    INVALID_ACTION,
    INVALID_PARAMETER,
    INVALID_PARAMETER_VALUE,
    JOB_NOT_EXIST,
    MATERIAL_ID_NOT_FOUND,
    MESSAGES,
    MISSING_PARAMETER,
    NO_FACE_DETECTED,
    NO_SUCH_VERSION,
    PARAMETER_VALUE_ERROR,
    REQUEST_LIMIT_EXCEEDED,
    REQUEST_SIZE_LIMIT_EXCEEDED,
    REQUEST_TIMEOUT,
    RESOURCE_FREEZE,
    RESOURCE_IN_ARREARS,
    RESOURCE_IS_OPENING,
    RESOURCE_NOT_EXIST,
    RESOURCE_STOP_USING,
    SERVER_ERROR,
    SUCCESS,
    UNSUPPORTED_PROTOCOL,
    UNSUPPORTED_REGION,
    URL_ILLEGAL,
)


class ApiError(Exception):
    """Answered as ``{"Response": {"Error": {"Code", "Message"}, "RequestId"}}``."""

    def __init__(self, code: str, message: str | None = None) -> None:
        self.code = code
        self._message = message
        super().__init__(f"{code}: {message or ''}")

    @property
    def message(self) -> str:
        if self._message:
            return str(self._message)
        default = MESSAGES.get(self.code)
        return str(default) if default is not None else self.code


def missing(name: str) -> ApiError:
    return ApiError(MISSING_PARAMETER, _("The parameter %(name)s is required.") % {"name": name})


def invalid(name: str, why: str | None = None, *, code: str = INVALID_PARAMETER_VALUE) -> ApiError:
    text = _("The parameter %(name)s is invalid.") % {"name": name}
    if why:
        text = f"{text} {why}"
    return ApiError(code, text)
