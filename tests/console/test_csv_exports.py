"""The formula guard of every CSV export (console/exports.py): a cell whose first visible character
starts a formula stays text, however many spaces or zero-width characters come before it."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from console.exports import csv_safe_cell
from tests.billing.conftest import make_calls, top_up
from tests.conftest import login


@pytest.mark.parametrize("value", ["=1+1", " =1+1", "\u200b=2+2", "\ufeff@SUM(A1)", "\u00a0-1", "\u2060+3",
                                   "\u200e\u200f=4", "\t=5", "\r6", "\u3000=7", "＝8", "  \u200d @9"])
def test_it_quotes_a_cell_whose_first_visible_character_starts_a_formula(value):
    assert csv_safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["at_demo", "mt_1", "本图片", " 1+1", "a=b", "", 5, -3, None])
def test_it_leaves_other_cells_alone(value):
    assert csv_safe_cell(value) == value


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]


def test_the_usage_export_quotes_disguised_formulas(alice):
    make_calls(alice.account, 1, now=timezone.now(), campaign=" =1+1", material="\u200b=2+2")
    rows = _rows(login(alice.finance).get(reverse("billing:usage_csv")))
    assert (rows[0][3], rows[0][4]) == ("' =1+1", "'\u200b=2+2")


def test_the_ledger_export_quotes_a_disguised_formula_in_a_note(alice, operator):
    from billing.services import balance_top_up

    top_up(alice.account, 100, operator)
    balance_top_up(account=alice.account, amount_fen=1, actor=operator, note="\u200b=HYPERLINK(\"http://x\")")
    rows = _rows(login(alice.owner).get(reverse("billing:ledger"), {"format": "csv"}))
    notes = [row[7] for row in rows]
    assert "'\u200b=HYPERLINK(\"http://x\")" in notes
    assert not any(n.lstrip(" \u200b").startswith(("=", "+", "-", "@")) for n in notes)
