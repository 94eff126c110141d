"""A county's random-inspection sampling policy, and a plugin that leaves every department's
policy to others."""

from __future__ import annotations

from decimal import Decimal

from zhifa import hookimpl
from zhifa.rules import SamplingPolicy

COUNTY_POLICY = SamplingPolicy(
    ratios={"A": Decimal("0.02"), "C": Decimal("0.10")},
    risk_ratios={"high": Decimal("0.50")},
    exempt=frozenset({"A"}),
    yearly_cap={"B": 1},
    grace_days=180,
    basis="西湖区抽查工作细则",
)


class CountyPolicy:
    """Gives HZXH (西湖区) the county's policy, :data:`COUNTY_POLICY`; None for the others."""

    __name__ = "county-policy"

    @hookimpl
    def zhifa_sampling_policy(self, department: str) -> SamplingPolicy | None:
        if department != "HZXH":
            return None
        return COUNTY_POLICY


class NoPolicy:
    """Answers None for every department: it leaves the policy to other plugins."""

    __name__ = "no-policy"

    def __init__(self) -> None:
        self.asked: list[str] = []

    @hookimpl
    def zhifa_sampling_policy(self, department: str) -> SamplingPolicy | None:
        self.asked.append(department)
        return None
