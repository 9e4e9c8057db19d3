"""The cloud's response envelope: HTTP 200 with ``Response`` holding the result or the error."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse


def success(data: dict[str, Any], request_id: str) -> JsonResponse:
    return JsonResponse({"Response": {**data, "RequestId": request_id}}, json_dumps_params={"ensure_ascii": False})


def error(code: str, message: str, request_id: str) -> JsonResponse:
    return JsonResponse({"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}},
                        json_dumps_params={"ensure_ascii": False})
