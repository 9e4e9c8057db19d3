"""The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters, its check character."""

import pytest
from django.core.exceptions import ValidationError

from console.validators import USCC_ALPHABET, uscc_check_character, validate_uscc


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000802100433B", " 9135 0100-M000100Y43 ",
                                  "91350100m000100y43"])
def test_it_accepts_valid_codes_as_people_paste_them(code):
    assert validate_uscc(code) in ("91350100M000100Y43", "91110000802100433B")


@pytest.mark.parametrize("code,why", [
    ("91350100M000100Y4", "18"), ("91350100M000100Y44", "GB 32100"), ("91350100M000I00Y43", "I"),
    ("91310000MA1234567X", "GB 32100"),
])
def test_it_refuses_codes_with_the_reason(code, why):
    with pytest.raises(ValidationError) as info:
        validate_uscc(code)
    assert why in " ".join(info.value.messages)


def test_any_single_mistyped_character_is_caught():
    code = "91350100M000100Y43"
    for i in range(17):
        for c in USCC_ALPHABET:
            if c != code[i]:
                typo = code[:i] + c + code[i + 1:]
                assert uscc_check_character(typo[:17]) != typo[17]
