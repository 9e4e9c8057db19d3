"""Checks of uploaded files by content, never by name (docs/materials.md), and the re-encoding that
strips EXIF/GPS before anything is stored.

Nothing a customer uploads is stored byte for byte. Images (materials and proof scans) are decoded
and encoded afresh from their pixels, so no JPEG comment, PNG text chunk, EXIF/GPS block or bytes
after the image's end survive, and a truncated file is refused; only the ICC colour profile is
carried over. A PDF proof must parse (pypdf, strict) and is rewritten from its pages alone, which
drops document scripts, open actions, attachments and page annotations.
"""

import io
import logging
import secrets
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

from fusion.engine.imageio import sniff_format

MATERIAL_MAX_BYTES = 500 * 1024
MATERIAL_MAX_SIDE = 1080
MATERIAL_MIN_SIDE = 64
JPEG_QUALITY = 92

log = logging.getLogger(__name__)

_PDF = b"%PDF-"
# A page scanned at 600 dpi is about 35 million pixels; more is not a scan but a memory bomb.
PROOF_MAX_PIXELS = 40_000_000
PROOF_MAX_PAGES = 50


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


def reencode(img: Image.Image, fmt: str) -> bytes:
    """The image's pixels in a fresh JPEG or PNG with no metadata but its ICC profile. ``convert``
    copies ``info`` (Pillow writes a JPEG ``comment`` found there back out), so it is emptied."""
    icc = img.info.get("icc_profile")
    extra = {"icc_profile": icc} if icc else {}
    out = io.BytesIO()
    if fmt == "JPEG":
        pixels = img.convert("RGB")
        pixels.info = {}
        pixels.save(out, "JPEG", quality=JPEG_QUALITY, **extra)
    else:
        transparent = "transparency" in img.info or img.mode in ("PA", "RGBA", "LA")
        if img.mode in ("RGBA", "LA") or (img.mode in ("RGB", "L") and not transparent):
            keep = img.mode
        else:
            keep = "RGBA" if transparent else "RGB"
        pixels = img.convert(keep)
        pixels.info = {}
        pixels.save(out, "PNG", **extra)
    return out.getvalue()


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
        data = reencode(img, fmt)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError(_("The image is incomplete or damaged (it may have been cut off while copying). "
                                "Export it again and upload it again."), code="damaged")
    return CleanImage(data=data, format=fmt, width=img.width, height=img.height)


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
        return CleanProof(data=_clean_pdf(data), content_type="application/pdf", extension="pdf")
    fmt = sniff_format(data)
    if fmt is None:
        raise ValidationError(_("A proof must be a JPG, PNG or PDF file (checked by content, not by name). "
                                "Save the scan in one of these formats and upload it again."), code="format")
    damaged = ValidationError(_("The scan cannot be read: the file is damaged or incomplete. Scan it again and "
                                "upload it again."), code="damaged")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=[fmt])
        if img.width * img.height > PROOF_MAX_PIXELS:
            raise ValidationError(_("The scan is %(w)d×%(h)d pixels; scan at 300 dpi (or at most 600) and upload "
                                    "it again.") % {"w": img.width, "h": img.height}, code="too_large")
        img.load()  # a truncated file fails here
        clean = reencode(ImageOps.exif_transpose(img) or img, fmt)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise damaged
    if fmt == "JPEG":
        return CleanProof(data=clean, content_type="image/jpeg", extension="jpg")
    return CleanProof(data=clean, content_type="image/png", extension="png")


def _clean_pdf(data: bytes) -> bytes:
    """The PDF's pages, written afresh; anything that does not parse strictly is refused."""
    refused = ValidationError(_("This PDF cannot be read (it is damaged or not really a PDF). Export or scan it "
                                "again as PDF, JPG or PNG and upload it again."), code="damaged")
    try:
        reader = PdfReader(io.BytesIO(data), strict=True)
        if not 1 <= len(reader.pages) <= PROOF_MAX_PAGES:
            raise refused
        writer = PdfWriter()
        for page in reader.pages:
            added = writer.add_page(page)
            if "/Annots" in added:
                del added["/Annots"]  # links and form widgets may carry actions
        out = io.BytesIO()
        writer.write(out)
    except (PyPdfError, ValueError, TypeError, KeyError, AttributeError, RecursionError, OSError) as exc:
        log.info("proof PDF refused: %r", exc)
        raise refused
    return out.getvalue()
