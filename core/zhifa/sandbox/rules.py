"""The rules in force on a day under a reform, as the engine's own objects and functions: a
department's :class:`~zhifa.rules.sampling.SamplingPolicy`, the violation catalogue's entries
(tiers, fine bands, no-penalty and reduced-penalty lists), the publication periods
(:func:`zhifa.procedure.publication.publicity_end`), the minimum period before a credit repair
(:func:`zhifa.procedure.credit_repair.first_eligible_day`) and the credit scheme. The sandbox
never computes a rule itself: it builds the engine's objects with the reform's values and calls
the engine's functions, so a department plugin's rule, or a change to the engine's, changes the
sandbox's results too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from zhifa.plugins import Plugins
from zhifa.procedure.credit_repair import MINIMUM_MONTHS, first_eligible_day
from zhifa.procedure.publication import Penalty, publicity_end
from zhifa.rules import CREDIT_CLASSES, TIERS, Band, Violation
from zhifa.rules.credit import CreditScheme
from zhifa.rules.sampling import RISK_LEVELS, SamplingPolicy
from zhifa.sandbox import params as P
from zhifa.sandbox.reform import BASELINE, Reform


@dataclass(frozen=True, slots=True)
class Installed:
    """The rules as installed for some departments: the baseline every reform changes."""

    departments: tuple[str, ...]
    policies: Mapping[str, SamplingPolicy]
    schemes: Mapping[str, CreditScheme]
    violations: Mapping[str, Sequence[Violation]]
    params: P.Parameters

    @classmethod
    def load(cls, plugins: Plugins, departments: Sequence[str], day: date) -> Installed:
        """The installed rules of ``departments`` (plugins' policies, schemes and catalogues;
        the documented defaults where none gives one); parameters as in force on ``day``."""
        depts = tuple(dict.fromkeys(departments))
        policies = {d: plugins.sampling_policy(d) for d in depts}
        schemes = {d: plugins.credit_scheme(d) for d in depts}
        violations = plugins.violations()
        return cls(
            depts, policies, schemes, violations, P.build(depts, policies, schemes, violations, day)
        )

    def on(self, day: date, reform: Reform = BASELINE) -> Rules:
        """The rules in force on ``day`` under ``reform``."""
        return Rules(self, reform, day)


class Rules:
    """The rules of :class:`Installed` in force on one day under one reform."""

    def __init__(self, installed: Installed, reform: Reform, day: date) -> None:
        self.installed, self.reform, self.day = installed, reform, day
        self._catalogue: dict[str, list[Violation]] | None = None

    def value(self, path: str) -> Any:
        """A parameter's value on the day under the reform."""
        return self.reform.value(self.installed.params[path], self.day)

    # -- sampling -----------------------------------------------------------------------------------

    def policy(self, dept: str) -> SamplingPolicy:
        """The department's sampling policy (the engine's class checks it again)."""
        base = self.installed.policies[dept]
        pre = f"sampling.{dept}"
        caps = {
            c: self.value(f"{pre}.yearly_cap.{c}")
            for c in CREDIT_CLASSES
            if f"{pre}.yearly_cap.{c}" in self.installed.params
        }
        return dataclasses.replace(
            base,
            ratios={c: self.value(f"{pre}.ratio.{c}") for c in CREDIT_CLASSES},
            risk_ratios={r: self.value(f"{pre}.risk_ratio.{r}") for r in RISK_LEVELS},
            exempt=self.value(f"{pre}.exempt"),
            yearly_cap={c: n for c, n in caps.items() if n is not None},
            grace_days=self.value(f"{pre}.grace_days"),
        )

    # -- the catalogue ------------------------------------------------------------------------------

    def catalogue(self) -> dict[str, list[Violation]]:
        """Every violation's entries with the reform's tiers, fine bands and lists: the entry in
        force on the day changed, its other versions as they are."""
        if self._catalogue is None:
            self._catalogue = {
                code: [self._entry(v) if v.in_force(self.day) else v for v in versions]
                for code, versions in self.installed.violations.items()
            }
        return self._catalogue

    def _entry(self, v: Violation) -> Violation:
        params = self.installed.params
        tiers = {
            name: dataclasses.replace(tier, share=self.value(f"discretion.{v.code}.{name}"))
            if f"discretion.{v.code}.{name}" in params
            else tier
            for name, tier in v.tiers.items()
            if name in TIERS
        }
        bands = tuple(
            self._band(f"fine.{v.code}.{i}", b) if f"fine.{v.code}.{i}" in params else b
            for i, b in enumerate(v.bands)
        )
        return dataclasses.replace(
            v,
            tiers=tiers,
            bands=bands,
            no_penalty=self._listed("no_penalty", v.code, v.no_penalty),
            reduced_penalty=self._listed("reduced_penalty", v.code, v.reduced_penalty),
        )

    def _listed(self, kind: str, code: str, current: str | None) -> str | None:
        """The entry's conditions on a list (None: not on it) under the reform."""
        path = f"{kind}.{code}"
        if path not in self.installed.params:
            return current
        on = self.value(path)
        if not on:
            return None
        return current or f"listed by the reform {self.reform.name}"

    def _band(self, path: str, band: Band) -> Band:
        low, high = self.value(path)
        return dataclasses.replace(band, low=low, high=high)

    # -- publication and repair ---------------------------------------------------------------------

    def publicity_end(self, published_on: date, penalty: Penalty) -> date:
        """The last day of publicity (the engine's function with the reform's periods)."""
        return publicity_end(
            published_on,
            penalty,
            Decimal(self.value("publication.low_fine")),
            short_months=int(self.value("publication.short_months")),
            long_years=int(self.value("publication.long_years")),
        )

    def first_repair_day(self, published_on: date, category: str) -> date | None:
        """The first day an early end of publication may be applied for (None: never)."""
        minimum = {c: int(self.value(f"repair.minimum_months.{c}")) for c in MINIMUM_MONTHS}
        return first_eligible_day(published_on, category, minimum)

    # -- credit -------------------------------------------------------------------------------------

    def scheme(self, dept: str) -> CreditScheme:
        """The department's credit scheme with the reform's bands and points."""
        base = self.installed.schemes[dept]
        pre = f"credit.{dept}"
        bands = tuple(
            (cls, self.value(f"{pre}.band.{cls}") if lowest is not None else None)
            for cls, lowest in base.bands
        )
        indicators = tuple(
            dataclasses.replace(i, points=self.value(f"{pre}.indicator.{i.code}.points"))
            for i in base.indicators
        )
        return dataclasses.replace(base, bands=bands, indicators=indicators)

    # -- capacity -----------------------------------------------------------------------------------

    def officer_days(self, dept: str) -> Decimal | None:
        """The department's officer-days a year for random inspections (None: no limit)."""
        days = self.value(f"capacity.{dept}.officer_days")
        return None if days is None else Decimal(days)

    @property
    def visit_days(self) -> Decimal:
        return Decimal(self.value("capacity.officer_days_per_visit"))


__all__ = ["Installed", "Rules"]
