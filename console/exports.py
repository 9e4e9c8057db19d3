"""CSV exports: one helper for every download, with the formula guard (CSV injection).

A spreadsheet runs a cell as a formula when its first character is ``=``, ``+``, ``-`` or ``@``
(and tab or carriage return start other tricks). Excel and LibreOffice skip leading spaces and
invisible characters when they decide, so ``" =1+1"`` and ``"\\u200b=2+2"`` are formulas too: the
guard looks at the first *visible* character (after whitespace, controls and format characters such
as zero-width spaces, joiners, direction marks and the byte-order mark), and the full-width forms
count as well. Such a text cell is prefixed with ``'`` so it stays text.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterable

from django.http import HttpResponse

FORMULA_STARTS = frozenset("=+-@＝＋－＠")
_RAW_STARTS = ("\t", "\r", "\n")
# Whitespace, controls and format characters (zero-width space U+200B, ZWJ, LRM, BOM, …).
_SKIPPED_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf"})


def _first_visible(text: str) -> str:
    for char in text:
        if char.isspace() or unicodedata.category(char) in _SKIPPED_CATEGORIES:
            continue
        return char
    return ""


def csv_safe_cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula is quoted so it stays text; anything else
    (numbers included) is returned unchanged."""
    if isinstance(value, str) and (value.startswith(_RAW_STARTS) or _first_visible(value) in FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable[object]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # so Excel opens the Chinese columns as UTF-8
    writer = csv.writer(response)
    writer.writerow([csv_safe_cell(value) for value in header])
    writer.writerows([csv_safe_cell(value) for value in row] for row in rows)
    return response
