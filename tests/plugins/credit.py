"""Credit-scheme plugins of the tests: one that leaves every department's scheme to others and
one that returns something that is not a scheme (nor measures)."""

from __future__ import annotations

from zhifa import hookimpl


class NoScheme:
    """Leaves every department's credit scheme to others."""

    __name__ = "no-scheme"

    @hookimpl
    def zhifa_credit_scheme(self, department: str) -> None:
        return None


class WrongScheme:
    """Returns a mapping where a :class:`zhifa.rules.credit.CreditScheme` belongs."""

    __name__ = "wrong-scheme"

    @hookimpl
    def zhifa_credit_scheme(self, department: str) -> object:
        return {"name": "not a scheme"}

    @hookimpl
    def zhifa_credit_measures(self, department: str | None) -> object:
        return {"code": "not a list of measures"}
