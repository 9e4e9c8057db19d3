"""Amounts as invoices print them: the tax split of a total that includes tax, and the total in
Chinese capital numerals (大写金额), both in integer fen."""

from __future__ import annotations

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_BIG_UNITS = ("", "万", "亿", "万亿")


def tax_split(total_fen: int, rate_bp: int) -> tuple[int, int]:
    """(amount without tax, tax) of a tax-inclusive total at ``rate_bp`` basis points (600 = 6 %).
    The amount without tax is rounded half up to the fen; the tax is the rest, so both add up."""
    if total_fen < 0 or rate_bp < 0:
        raise ValueError("amounts and rates are not negative")
    net = (total_fen * 10_000 * 2 + (10_000 + rate_bp)) // ((10_000 + rate_bp) * 2)
    return net, total_fen - net


def _group(n: int) -> str:
    """0 < n < 10000 in capitals, with 零 for inner gaps: 1001 → 壹仟零壹."""
    out: list[str] = []
    zero = False
    for pos in range(3, -1, -1):
        digit = n // 10**pos % 10
        if digit == 0:
            zero = bool(out)
        else:
            if zero:
                out.append("零")
                zero = False
            out.append(_DIGITS[digit] + _SMALL_UNITS[pos])
    return "".join(out)


def rmb_capitals(fen: int) -> str:
    """The amount in capital numerals as a 价税合计（大写） line reads: 16000000 fen → 壹拾陆万元整,
    10050 → 壹佰元零伍角, 100001 → 壹仟元零壹分, 0 → 零元整."""
    if fen < 0:
        return "负" + rmb_capitals(-fen)
    yuan, jiao, fen_ = fen // 100, fen // 10 % 10, fen % 10
    parts: list[str] = []
    if yuan:
        groups = []
        n = yuan
        while n:
            groups.append(n % 10_000)
            n //= 10_000
        need_zero = False
        for index in range(len(groups) - 1, -1, -1):
            group = groups[index]
            if group == 0:
                need_zero = bool(parts)
                continue
            if parts and (need_zero or group < 1000):
                parts.append("零")
            parts.append(_group(group) + _BIG_UNITS[index])
            need_zero = False
        parts.append("元")
    if not jiao and not fen_:
        return ("".join(parts) or "零元") + "整"
    if jiao:
        parts.append(_DIGITS[jiao] + "角")
    elif yuan:
        parts.append("零")
    if fen_:
        parts.append(_DIGITS[fen_] + "分")
    elif jiao:
        parts.append("整")
    return "".join(parts)
