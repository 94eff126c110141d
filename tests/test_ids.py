"""The unified social credit code (USCC) of GB 32100-2015: valid codes, each fault, the check."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhifa.errors import InputError
from zhifa.ids import ALPHABET, is_valid_uscc, normalize_uscc, uscc_check_char, uscc_problem

VALID = ["91110000600037341L", "91350100M000100Y43", "91110108551385082Q"]


def with_check(body: str) -> str:
    return body + uscc_check_char(body)


@pytest.mark.parametrize("code", VALID)
def test_published_codes_are_valid(code: str) -> None:
    assert uscc_problem(code) is None
    assert is_valid_uscc(code)
    assert normalize_uscc(code) == code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("91110000600037341l", "91110000600037341L"),
        ("  91350100m000100y43 ", "91350100M000100Y43"),
        ("9111 0108 5513 8508 2Q", "91110108551385082Q"),
        ("91110108551385082q\n", "91110108551385082Q"),
    ],
)
def test_case_and_spaces_are_normalised(raw: str, expected: str) -> None:
    assert normalize_uscc(raw) == expected
    assert is_valid_uscc(raw)


def _replace(code: str, index: int, char: str) -> str:
    return code[:index] + char + code[index + 1 :]


FAULTS = [
    pytest.param(VALID[0][:17], "a USCC has 18 characters, '91110000600037341' has 17", id="17"),
    pytest.param(VALID[0] + "1", "a USCC has 18 characters, '91110000600037341L1' has 19", id="19"),
    *[
        pytest.param(
            _replace(VALID[0], 10, letter),
            f"contains '{letter}', which GB 32100 does not use",
            id=f"letter-{letter}",
        )
        for letter in "IOSVZ"
    ],
    pytest.param(
        "91110000600037341-", "contains '-', which GB 32100 does not use", id="punctuation"
    ),
    pytest.param(
        with_check("911A0000600037341"),
        "characters 3–8 of '911A0000600037341",
        id="letter-in-region",
    ),
    pytest.param(
        _replace(VALID[0], 17, "0"),
        "the check character of '911100006000373410' should be 'L', not '0'",
        id="check-char",
    ),
    pytest.param(
        _replace(VALID[1], 9, "1"),
        "the check character of '91350100M100100Y43' should be",
        id="changed-identifier",
    ),
]


@pytest.mark.parametrize(("code", "fragment"), FAULTS)
def test_each_fault_has_its_own_message(code: str, fragment: str) -> None:
    problem = uscc_problem(code)
    assert problem is not None
    assert fragment in problem
    with pytest.raises(InputError) as caught:
        normalize_uscc(code)
    assert fragment in caught.value.message
    assert caught.value.message.startswith("invalid unified social credit code: ")
    assert caught.value.exit_code == 2


def test_region_fault_names_the_region_part() -> None:
    problem = uscc_problem(with_check("911A0000600037341"))
    assert problem is not None
    assert "must be a 6-digit region code, got '1A0000'" in problem


@pytest.mark.parametrize("authority", ["A1", "N2", "Y1", "59", "G1", "N3"])
def test_letter_authority_and_type_codes_are_accepted(authority: str) -> None:
    code = with_check(authority + "330106" + "MA2H3K4L5")
    assert uscc_problem(code) is None
    assert normalize_uscc(code.lower()) == code


REGION_DIGITS = st.text(alphabet="0123456789", min_size=6, max_size=6)
BODIES = st.builds(
    lambda head, region, tail: head + region + tail,
    st.text(alphabet=ALPHABET, min_size=2, max_size=2),
    REGION_DIGITS,
    st.text(alphabet=ALPHABET, min_size=9, max_size=9),
)


@given(body=BODIES, index=st.integers(0, 17), shift=st.integers(1, len(ALPHABET) - 1))
def test_check_char_makes_a_code_valid_and_any_single_change_invalid(
    body: str, index: int, shift: int
) -> None:
    code = with_check(body)
    assert uscc_problem(code) is None
    changed = _replace(code, index, ALPHABET[(ALPHABET.index(code[index]) + shift) % 31])
    assert changed != code
    assert uscc_problem(changed) is not None
