"""Typed engine errors.

Each error carries the Tencent Cloud Face Fusion error code that the API layer answers with,
so the API maps an engine failure to the wire without a lookup table of its own.
"""

from __future__ import annotations


class EngineError(Exception):
    code: str = "FailedOperation.InnerError"
    message_zh: str = "人脸融合内部错误"
    message_en: str = "Face fusion internal error"

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail
        super().__init__(detail or self.message_en)


class ImageDecodeFailed(EngineError):
    code = "FailedOperation.ImageDecodeFailed"
    message_zh = "图片解码失败，仅支持 JPG 和 PNG 格式"
    message_en = "The image could not be decoded; only JPG and PNG are supported"


class ImageResolutionTooSmall(EngineError):
    code = "FailedOperation.ImageResolutionTooSmall"
    message_zh = "图片分辨率过小"
    message_en = "The image resolution is too small"


class ImageResolutionExceed(EngineError):
    code = "FailedOperation.ImageResolutionExceed"
    message_zh = "图片分辨率过大"
    message_en = "The image resolution is too large"


class ImagePixelExceed(EngineError):
    code = "FailedOperation.ImagePixelExceed"
    message_zh = "图片像素数超过限制"
    message_en = "The image has too many pixels"


class ImageSizeExceed(EngineError):
    code = "FailedOperation.ImageSizeExceed"
    message_zh = "图片文件过大"
    message_en = "The image file is too large"


class NoFaceDetected(EngineError):
    code = "FailedOperation.NoFaceDetected"
    message_zh = "图片中未检测到人脸"
    message_en = "No face was detected in the image"


class FaceSizeTooSmall(EngineError):
    code = "FailedOperation.FaceSizeTooSmall"
    message_zh = "人脸尺寸过小，需大于 34×34 像素"
    message_en = "The face is too small; it must be larger than 34x34 pixels"


class InvalidParameter(EngineError):
    code = "InvalidParameterValue.ParameterValueError"
    message_zh = "参数取值错误"
    message_en = "A parameter value is invalid"


class TooManyFaces(InvalidParameter):
    code = "InvalidParameterValue.ParameterValueError"
    message_zh = "一次最多融合 6 张人脸"
    message_en = "At most 6 faces can be fused at once"


class TemplateFaceIDNotExist(EngineError):
    code = "FailedOperation.TemplateFaceIDNotExist"
    message_zh = "素材中不存在该人脸 ID"
    message_en = "The template face ID does not exist in the material"


class FaceRectInvalid(EngineError):
    code = "InvalidParameterValue.FaceRectParameterValueError"
    message_zh = "人脸框参数不合法"
    message_en = "The face rectangle parameter is invalid"
