"""Amounts as invoices print them: the tax split of a tax-inclusive total, and 大写 capitals."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.amounts import rmb_capitals, tax_split


@pytest.mark.parametrize("fen,text", [
    (0, "零元整"), (1, "壹分"), (10, "壹角整"), (100, "壹元整"), (105, "壹元零伍分"), (10_050, "壹佰元伍角整"),
    (100_001, "壹仟元零壹分"), (1_000_100, "壹万零壹元整"), (1_600_000, "壹万陆仟元整"),
    (10_010_000, "壹拾万零壹佰元整"), (123_456_789, "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
    (1_002_003_004, "壹仟零贰万零叁拾元零肆分"), (10_000_000_000, "壹亿元整"),
    (10_001_000_000, "壹亿零壹万元整"), (12_600_000_000, "壹亿贰仟陆佰万元整"),
])
def test_it_writes_amounts_in_capitals(fen, text):
    assert rmb_capitals(fen) == text


@pytest.mark.parametrize("total,rate,net,tax", [
    (1_600_000, 600, 1_509_434, 90_566), (120_000, 600, 113_208, 6_792), (106, 600, 100, 6), (100, 0, 100, 0),
    (113, 1300, 100, 13),
])
def test_it_splits_a_total_into_amount_and_tax(total, rate, net, tax):
    assert tax_split(total, rate) == (net, tax)


@given(st.integers(min_value=0, max_value=10**13), st.integers(min_value=0, max_value=2000))
def test_the_split_adds_up_and_rounds_to_the_nearest_fen(total, rate):
    net, tax = tax_split(total, rate)
    assert net + tax == total and tax >= 0
    assert abs(net * (10_000 + rate) - total * 10_000) <= (10_000 + rate) // 2 + 1
