"""Perceptual hashes for duplicate detection at review (docs/materials.md)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from fusion.engine.errors import ImageDecodeFailed


def perceptual_hash(data: bytes) -> str:
    """64-bit dHash of the EXIF-upright image as 16 hex digits: robust to re-encoding, resizing and
    small edits, so a re-uploaded or lightly touched copy of a protected image lands within a few bits."""
    try:
        img: Image.Image = Image.open(io.BytesIO(data))
        img.draft("L", (64, 64))  # JPEG decodes at 1/8 scale: the hash never needs full size
        img = ImageOps.exif_transpose(img) or img
        small = img.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageDecodeFailed(str(exc)) from exc
    px = np.asarray(small, dtype=np.int16)
    bits = (px[:, 1:] > px[:, :-1]).flatten()
    value = 0
    for b in bits:
        value = (value << 1) | int(b)
    return f"{value:016x}"


def hash_distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()
