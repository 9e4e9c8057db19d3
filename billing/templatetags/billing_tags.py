from django import template

from console.formatting import yuan as _yuan

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    """Fen as yuan with two decimals and thousands separators: 1600000 → 16,000.00."""
    return _yuan(int(fen or 0))


@register.filter
def calls(n: int | None) -> str:
    return f"{int(n or 0):,}"


@register.filter
def percent(basis_points: int | None) -> str:
    """Basis points as a percentage without trailing zeros: 600 → 6%, 650 → 6.5%."""
    value = int(basis_points or 0)
    text = f"{value / 100:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"
