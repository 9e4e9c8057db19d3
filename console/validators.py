"""Validators of identifiers Chinese companies quote."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# GB 32100-2015: the unified social credit code (统一社会信用代码) is 18 characters from this
# alphabet (no I, O, S, V, Z), the last one a check character over the first 17.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_character(first17: str) -> str:
    """The check character GB 32100-2015 gives the first 17 characters of a code."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_normalise(value: str) -> str:
    """Upper case, without the spaces and dashes people paste with it."""
    return "".join(value.split()).replace("-", "").upper()


def validate_uscc(value: str) -> str:
    """The code, normalised, or a ValidationError saying what is wrong with it."""
    code = uscc_normalise(value)
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code (统一社会信用代码) has 18 characters; this one has %(n)d.")
            % {"n": len(code)}, code="uscc_length")
    wrong = sorted({c for c in code if c not in USCC_ALPHABET})
    if wrong:
        raise ValidationError(
            _("A unified social credit code uses digits and the capital letters A–Y without I, O, S, V and Z; "
              "this one contains %(chars)s.") % {"chars": " ".join(wrong)}, code="uscc_alphabet")
    if uscc_check_character(code[:17]) != code[17]:
        raise ValidationError(
            _("This unified social credit code fails its check character (GB 32100-2015): one of its "
              "characters is mistyped. Copy it from the business licence."), code="uscc_check")
    return code
