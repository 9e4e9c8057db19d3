"""Checks of uploaded files by content, never by name (docs/materials.md), and the re-encoding that
strips EXIF/GPS before anything is stored."""

import io
import secrets
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from fusion.engine.imageio import sniff_format

MATERIAL_MAX_BYTES = 500 * 1024
MATERIAL_MAX_SIDE = 1080
MATERIAL_MIN_SIDE = 64
JPEG_QUALITY = 92

_PDF = b"%PDF-"


@dataclass(frozen=True)
class CleanImage:
    data: bytes  # re-encoded, EXIF orientation applied, no metadata
    format: str  # "JPEG" | "PNG"
    width: int
    height: int

    @property
    def extension(self) -> str:
        return "png" if self.format == "PNG" else "jpg"


def stored_name(folder: str, extension: str) -> str:
    """A server-generated name for a stored upload: the customer's file name is only ever a label."""
    return f"{folder}/{secrets.token_hex(16)}.{extension}"


def material_too_big(size: int) -> ValidationError:
    return ValidationError(
        _("The file is %(kb)d KB; the limit is 500 KB. Compress or shrink the image and upload it again.")
        % {"kb": (size + 1023) // 1024}, code="too_big")


def clean_material_image(data: bytes) -> CleanImage:
    """A template image ready to store, or ValidationError saying which rule failed and what to do."""
    if len(data) > MATERIAL_MAX_BYTES:
        raise material_too_big(len(data))
    fmt = sniff_format(data)
    if fmt is None:
        raise ValidationError(_("This file is not a JPG or PNG image (whatever its name says). "
                                "Save the image as JPG or PNG and upload it again."), code="format")
    too_large = _("The image is larger than 1080×1080 pixels. Shrink it so neither side exceeds 1080 "
                  "pixels and upload it again.")
    try:
        with warnings.catch_warnings():
            # Only the header is read here; the size check below runs before any pixel is decoded.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img: Image.Image = Image.open(io.BytesIO(data), formats=[fmt])
    except Image.DecompressionBombError:
        raise ValidationError(too_large, code="too_large")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise ValidationError(_("The image cannot be read: the file is damaged. Export it again as JPG or PNG "
                                "and upload it again."), code="damaged")
    width, height = img.size
    if width > MATERIAL_MAX_SIDE or height > MATERIAL_MAX_SIDE:
        raise ValidationError(
            _("The image is %(w)d×%(h)d pixels; the limit is 1080×1080. Shrink it so neither side exceeds "
              "1080 pixels and upload it again.") % {"w": width, "h": height}, code="too_large")
    if width < MATERIAL_MIN_SIDE or height < MATERIAL_MIN_SIDE:
        raise ValidationError(
            _("The image is %(w)d×%(h)d pixels; each side needs at least 64. Upload a larger image.")
            % {"w": width, "h": height}, code="too_small")
    try:
        img.load()
        img = ImageOps.exif_transpose(img) or img
        out = io.BytesIO()
        if fmt == "JPEG":
            img.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY)
        else:
            keep = img.mode if img.mode in ("RGB", "RGBA", "L", "LA") else (
                "RGBA" if "transparency" in img.info or img.mode in ("PA",) else "RGB")
            img.convert(keep).save(out, "PNG")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError(_("The image is incomplete or damaged (it may have been cut off while copying). "
                                "Export it again and upload it again."), code="damaged")
    return CleanImage(data=out.getvalue(), format=fmt, width=img.width, height=img.height)


@dataclass(frozen=True)
class CleanProof:
    data: bytes
    content_type: str
    extension: str


def clean_proof_file(data: bytes) -> CleanProof:
    limit = settings.MATERIAL_PROOF_MAX_BYTES
    if len(data) > limit:
        raise ValidationError(_("The file is %(mb).1f MB; the limit is %(max).0f MB. Scan at a lower resolution "
                                "and upload it again.") % {"mb": len(data) / 1048576, "max": limit / 1048576},
                              code="too_big")
    if not data:
        raise ValidationError(_("The file is empty. Choose the scanned proof and upload it again."), code="empty")
    if data.startswith(_PDF):
        return CleanProof(data=data, content_type="application/pdf", extension="pdf")
    fmt = sniff_format(data)
    if fmt is None:
        raise ValidationError(_("A proof must be a JPG, PNG or PDF file (checked by content, not by name). "
                                "Save the scan in one of these formats and upload it again."), code="format")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            Image.open(io.BytesIO(data), formats=[fmt]).verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError(_("The scan cannot be read: the file is damaged. Scan it again and upload it "
                                "again."), code="damaged")
    if fmt == "JPEG":
        return CleanProof(data=data, content_type="image/jpeg", extension="jpg")
    return CleanProof(data=data, content_type="image/png", extension="png")
