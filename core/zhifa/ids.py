"""Identifiers: the unified social credit code (统一社会信用代码, USCC) of GB 32100-2015.

A USCC has 18 characters: registering authority (1), entity type (1), administrative region (6),
entity identifier (9) and a check character (1). Characters come from a 31-symbol alphabet that
leaves out I, O, S, V and Z. Authority and type may be letters (A, N, Y…), so a validator that
demands digits there is wrong.
"""

from __future__ import annotations

from zhifa.errors import InputError

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))


def uscc_check_char(body: str) -> str:
    """The check character for the first 17 characters of a USCC."""
    total = sum(_VALUE[ch] * w for ch, w in zip(body, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Why ``code`` is not a valid USCC, or ``None`` when it is."""
    if len(code) != 18:
        return f"a USCC has 18 characters, {code!r} has {len(code)}"
    bad = sorted({ch for ch in code if ch not in _VALUE})
    if bad:
        return (
            f"{code!r} contains {', '.join(repr(c) for c in bad)}, which GB 32100 does not use "
            "(only digits and capital letters other than I, O, S, V, Z)"
        )
    if not code[2:8].isdigit():
        return f"characters 3–8 of {code!r} must be a 6-digit region code, got {code[2:8]!r}"
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        return f"the check character of {code!r} should be {expected!r}, not {code[17]!r}"
    return None


def normalize_uscc(raw: str) -> str:
    """Return the canonical USCC (upper case, no spaces) or raise :class:`InputError`."""
    code = "".join(raw.split()).upper()
    problem = uscc_problem(code)
    if problem:
        raise InputError(
            f"invalid unified social credit code: {problem}; check it against the licence"
        )
    return code


def is_valid_uscc(raw: str) -> bool:
    return uscc_problem("".join(raw.split()).upper()) is None
