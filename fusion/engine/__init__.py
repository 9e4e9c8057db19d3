"""Ronghe's face engine: pure image code, no Django (docs/architecture.md, docs/fusion.md).

FaceIds are ``face_0``, ``face_1``, ... ordered by face box area, largest first (ties left to right).
"""

from fusion.engine.engine import MAX_MAPPINGS, MIN_FACE_SIDE, Engine, get_engine, set_engine_threads
from fusion.engine.errors import (
    EngineError,
    FaceRectInvalid,
    FaceSizeTooSmall,
    ImageDecodeFailed,
    ImagePixelExceed,
    ImageResolutionExceed,
    ImageResolutionTooSmall,
    ImageSizeExceed,
    InvalidParameter,
    NoFaceDetected,
    TemplateFaceIDNotExist,
    TooManyFaces,
)
from fusion.engine.fuse import VERSIONS
from fusion.engine.labels import VISIBLE_TEXT, read_labels
from fusion.engine.phash import hash_distance, perceptual_hash
from fusion.engine.types import RECORD_VERSION, DecodedImage, Face, FaceMapping, FuseOptions, Label, TemplateRecord

__all__ = [
    "MAX_MAPPINGS",
    "MIN_FACE_SIDE",
    "RECORD_VERSION",
    "VERSIONS",
    "VISIBLE_TEXT",
    "DecodedImage",
    "Engine",
    "EngineError",
    "Face",
    "FaceMapping",
    "FaceRectInvalid",
    "FaceSizeTooSmall",
    "FuseOptions",
    "ImageDecodeFailed",
    "ImagePixelExceed",
    "ImageResolutionExceed",
    "ImageResolutionTooSmall",
    "ImageSizeExceed",
    "InvalidParameter",
    "Label",
    "NoFaceDetected",
    "TemplateFaceIDNotExist",
    "TemplateRecord",
    "TooManyFaces",
    "get_engine",
    "hash_distance",
    "perceptual_hash",
    "read_labels",
    "set_engine_threads",
]
