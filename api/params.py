"""Typed readers for request parameters; a wrong type or range is the caller's error, named."""

from __future__ import annotations

import math
import re
from typing import Any

from api import errors
from api.errors import ApiError


def opt_str(params: dict, name: str, *, max_length: int = 4096, label: str | None = None) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise errors.invalid(label or name)
    value = str(value)
    if len(value) > max_length:
        raise errors.invalid(label or name, f"At most {max_length} characters.")
    return value


def req_str(params: dict, name: str, *, max_length: int = 4096, label: str | None = None) -> str:
    value = opt_str(params, name, max_length=max_length, label=label)
    if value is None or value == "":
        raise errors.missing(label or name)
    return value


def opt_int(params: dict, name: str, *, lo: int | None = None, hi: int | None = None,
            label: str | None = None) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        raise errors.invalid(label or name)
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,18}", value.strip()):
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise errors.invalid(label or name, "It must be an integer.")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise errors.invalid(label or name, f"It must be between {lo} and {hi}.")
    return value


def opt_float(params: dict, name: str, *, lo: float, hi: float, label: str | None = None) -> float | None:
    """A finite number within [lo, hi] (an integer, a float, or a decimal string as some clients send)."""
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        raise errors.invalid(label or name)
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,6}(\.[0-9]{1,12})?", value.strip()):
        value = float(value)
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise errors.invalid(label or name, f"It must be a number between {lo:g} and {hi:g}.")
    if not lo <= value <= hi:
        raise errors.invalid(label or name, f"It must be between {lo:g} and {hi:g}.")
    return float(value)


def opt_dict(params: dict, name: str, *, label: str | None = None) -> dict | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise errors.invalid(label or name)
    return value


def opt_list(params: dict, name: str, *, label: str | None = None) -> list | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, list):
        raise errors.invalid(label or name)
    return value


def rect(value: Any, name: str, *, min_side: int = 0) -> tuple[int, int, int, int]:
    """A ``{"X", "Y", "Width", "Height"}`` box."""
    if not isinstance(value, dict):
        raise ApiError(errors.FACE_RECT_ERROR, f"{name} must be an object with X, Y, Width and Height.")
    out = []
    for key in ("X", "Y", "Width", "Height"):
        v = value.get(key)
        if (isinstance(v, bool) or not isinstance(v, int | float) or (isinstance(v, float) and not math.isfinite(v))
                or int(v) != v):
            raise ApiError(errors.FACE_RECT_ERROR, f"{name}.{key} must be an integer.")
        out.append(int(v))
    x, y, w, h = out
    if x < 0 or y < 0 or w < max(min_side, 1) or h < max(min_side, 1):
        raise ApiError(errors.FACE_RECT_ERROR,
                       f"{name} must have X, Y >= 0 and Width, Height >= {max(min_side, 1)}.")
    return x, y, w, h
