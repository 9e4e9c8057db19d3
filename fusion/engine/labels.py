"""AI-generated content labels: the visible one drawn on the picture and the implicit one in XMP.

GB 45438-2025 (标识办法配套国家标准) asks for an explicit label a person can see and an implicit
label in the file's metadata with the fields Label, ContentProducer, ProduceID, ReservedCode1,
ContentPropagator, PropagateID and ReservedCode2. The implicit label is written on every result,
whatever the caller asks about the visible one, because the regulation does not let the caller
opt out of it.
"""

from __future__ import annotations

import io
import json
import re
import struct
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np
from defusedxml import ElementTree as DET
from defusedxml.common import DefusedXmlException
from PIL import Image, ImageDraw, ImageFont

from fusion.engine.errors import EngineError, FaceRectInvalid, ImageDecodeFailed
from fusion.engine.types import Label, Rect

VISIBLE_TEXT = "本图片为AI合成图片"
FONT_PATH = Path(__file__).resolve().parent / "fonts" / "NotoSansSC-Label.otf"

XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
NS_TC260 = "http://www.tc260.org.cn/ns/AIGC/1.0/"
NS_RONGHE = "https://ronghe.dev/ns/aigc/1.0/"
AIGC_FIELDS = (
    "Label",
    "ContentProducer",
    "ProduceID",
    "ReservedCode1",
    "ContentPropagator",
    "PropagateID",
    "ReservedCode2",
)
_MAX_META = 2048


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_PATH), size)


def _visible_layout(width: int, height: int) -> tuple[ImageFont.FreeTypeFont, int, int, int, int, Rect]:
    """The visible label's font, stroke width, text offset (x, y), corner radius and plate rect."""
    size = max(12, round(min(height, width) * 0.032))
    font = _font(size)
    stroke = max(1, size // 14)
    left, top, right, bottom = (round(v) for v in font.getbbox(VISIBLE_TEXT, stroke_width=stroke))
    pad = max(3, size // 4)
    margin = max(4, size // 2)
    bw, bh = right - left + 2 * pad, bottom - top + 2 * pad
    x0, y0 = max(0, width - margin - bw), max(0, height - margin - bh)
    plate = (x0, y0, min(width, x0 + bw) - x0, min(height, y0 + bh) - y0)
    return font, stroke, pad - left, pad - top, pad, plate


def draw_visible(pixels: np.ndarray) -> None:
    """Draw the label at the bottom right, in place: white text with a dark outline on a
    translucent dark plate, so it reads on light and dark templates alike."""
    h, w = pixels.shape[:2]
    font, stroke, tx, ty, radius, (x0, y0, pw, ph) = _visible_layout(w, h)
    patch = pixels[y0 : y0 + ph, x0 : x0 + pw]
    plate = (patch.astype(np.float32) * 0.55).astype(np.uint8)
    img = Image.fromarray(plate[:, :, ::-1].copy())
    draw = ImageDraw.Draw(img)
    draw.text(
        (tx, ty),
        VISIBLE_TEXT,
        font=font,
        fill=(255, 255, 255),
        stroke_width=stroke,
        stroke_fill=(20, 20, 20),
    )
    # Round the plate's corners by keeping the original pixels there.
    rmask = Image.new("L", img.size, 0)
    ImageDraw.Draw(rmask).rounded_rectangle((0, 0, img.size[0] - 1, img.size[1] - 1), radius=radius, fill=255)
    out = np.asarray(img)[:, :, ::-1]
    m = (np.asarray(rmask, dtype=np.float32) / 255.0)[:, :, None]
    pixels[y0 : y0 + ph, x0 : x0 + pw] = (out * m + patch * (1.0 - m)).astype(np.uint8)


def visible_label_box(width: int, height: int) -> Rect:
    """Where draw_visible puts the label, for callers and tests that need to know."""
    return _visible_layout(width, height)[-1]


def draw_logo(pixels: np.ndarray, logo: bytes, rect: Rect | None) -> None:
    h, w = pixels.shape[:2]
    try:
        img: Image.Image = Image.open(io.BytesIO(logo), formats=["PNG", "JPEG"])
        img.load()
        img = img.convert("RGBA")
    except Exception as exc:  # any undecodable logo is the caller's input error
        raise ImageDecodeFailed(f"logo cannot be decoded: {exc}") from exc
    if rect is None:
        lw = max(16, min(w, h) // 6)
        lh = max(1, round(lw * img.height / max(1, img.width)))
        rect = (w - lw - 8, h - lh - 8, lw, lh)
    x, y, rw, rh = (int(v) for v in rect)
    if rw <= 0 or rh <= 0 or x < 0 or y < 0 or x >= w or y >= h:
        raise FaceRectInvalid(f"logo rect {rect} outside the {w}x{h} image")
    rw, rh = min(rw, w - x), min(rh, h - y)
    arr = np.asarray(img.resize((rw, rh), Image.Resampling.LANCZOS), dtype=np.float32)
    a = arr[:, :, 3:4] / 255.0
    patch = pixels[y : y + rh, x : x + rw].astype(np.float32)
    pixels[y : y + rh, x : x + rw] = (arr[:, :, 2::-1] * a + patch * (1.0 - a) + 0.5).astype(np.uint8)


def aigc_fields(label: Label) -> dict[str, str]:
    return {
        "Label": "1",  # 1: the content is AI-generated or synthesised
        "ContentProducer": label.producer,
        "ProduceID": label.produce_id,
        "ReservedCode1": "",
        "ContentPropagator": label.propagator,
        "PropagateID": label.propagate_id or label.produce_id,
        "ReservedCode2": "",
    }


def xmp_packet(label: Label) -> bytes:
    aigc = json.dumps(aigc_fields(label), ensure_ascii=False, separators=(",", ":"))
    attrs = [f"TC260:AIGC={quoteattr(aigc)}"]
    if label.meta_key:
        attrs.append(f"ronghe:MetaKey={quoteattr(label.meta_key[:_MAX_META])}")
        attrs.append(f"ronghe:MetaValue={quoteattr((label.meta_value or '')[:_MAX_META])}")
    body = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        f'  <rdf:Description rdf:about="" xmlns:TC260="{NS_TC260}" xmlns:ronghe="{NS_RONGHE}"\n   '
        + "\n   ".join(attrs)
        + "/>\n </rdf:RDF>\n</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )
    return body.encode("utf-8")


def embed_xmp(data: bytes, fmt: str, packet: bytes) -> bytes:
    if fmt == "PNG":
        payload = b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + packet
        chunk = struct.pack(">I", len(payload)) + b"iTXt" + payload
        chunk += struct.pack(">I", zlib.crc32(b"iTXt" + payload) & 0xFFFFFFFF)
        ihdr_end = 8 + 8 + 13 + 4  # signature + IHDR chunk
        return data[:ihdr_end] + chunk + data[ihdr_end:]
    seg = XMP_HEADER + packet
    if len(seg) + 2 > 0xFFFF:
        raise EngineError("XMP packet too large")
    app1 = b"\xff\xe1" + struct.pack(">H", len(seg) + 2) + seg
    pos = 2
    if data[2:4] == b"\xff\xe0":  # keep JFIF's APP0 first, as readers expect
        pos = 4 + struct.unpack(">H", data[4:6])[0]
    return data[:pos] + app1 + data[pos:]


def extract_xmp(data: bytes) -> bytes | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        pos = 8
        while pos + 8 <= len(data):
            (length,) = struct.unpack(">I", data[pos : pos + 4])
            ctype = data[pos + 4 : pos + 8]
            body = data[pos + 8 : pos + 8 + length]
            if ctype == b"iTXt" and body.startswith(b"XML:com.adobe.xmp\x00"):
                rest = body[len(b"XML:com.adobe.xmp\x00") :]
                comp_flag = rest[0:1]
                rest = rest[2:]
                _lang, _, rest = rest.partition(b"\x00")
                _trans, _, text = rest.partition(b"\x00")
                return zlib.decompress(text) if comp_flag == b"\x01" else text
            if ctype == b"IEND":
                break
            pos += 12 + length
        return None
    if data.startswith(b"\xff\xd8"):
        pos = 2
        while pos + 4 <= len(data) and data[pos] == 0xFF:
            marker = data[pos + 1]
            if marker in (0xD9, 0xDA):  # end of image, start of scan: no more metadata
                break
            (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
            seg = data[pos + 4 : pos + 2 + length]
            if marker == 0xE1 and seg.startswith(XMP_HEADER):
                return seg[len(XMP_HEADER) :]
            pos += 2 + length
    return None


def read_labels(data: bytes) -> dict[str, Any]:
    """The implicit label of a JPEG or PNG: {"AIGC": {...}, "MetaData": {key: value}}; {} if none."""
    xmp = extract_xmp(data)
    if not xmp:
        return {}
    text = xmp.decode("utf-8", errors="replace")
    text = re.sub(r"<\?xpacket[^>]*\?>", "", text).strip()
    try:
        root = DET.fromstring(text, forbid_dtd=True)
    except (DET.ParseError, DefusedXmlException):
        return {}
    out: dict[str, Any] = {}
    for desc in root.iter("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}Description"):
        raw = desc.get(f"{{{NS_TC260}}}AIGC")
        if raw is None:
            child = desc.find(f"{{{NS_TC260}}}AIGC")
            raw = child.text if child is not None else None
        if raw:
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                out["AIGC"] = {k: str(parsed.get(k, "")) for k in AIGC_FIELDS}
        key = desc.get(f"{{{NS_RONGHE}}}MetaKey")
        if key is not None:
            out["MetaData"] = {key: desc.get(f"{{{NS_RONGHE}}}MetaValue", "")}
    return out
