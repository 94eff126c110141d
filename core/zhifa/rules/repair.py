"""The NDRC regimes for repairing published dishonesty information (信用信息修复), by date.

A regime is in force over a period of days and gives, for each severity of dishonesty (轻微 /
一般 / 严重: ``minor`` / ``general`` / ``serious``), the minimum months a record is published
before a repair may be applied for and the maximum months after which its publication stops of
itself. zhifa ships two (``repair_national.yaml``): NDRC Order 58 (2023-05-01 to 2026-03-31) and
the NDRC measure in force from 2026-04-01.

Which regime governs a record is a choice the law leaves to transitional rules that could not be
read, so it is a setting (:data:`TRANSITIONS`): ``finding_date`` (the default: the regime in force
on the day the dishonesty was found), ``application_date`` (the regime in force on the day of the
application), or ``favourable`` (of the two, the one whose minimum is shorter). Periods are
counted as the Civil Code counts them (民法典 第二百零一条、第二百零二条): the day of the finding
is not counted, a period of months ends on the corresponding day of its last month, and it is
complete at the end of that day, so the first day a repair may be applied for is the day after.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from zhifa.calendar import add_months
from zhifa.errors import InputError

SEVERITIES = {
    "minor": "轻微 minor (e.g. a simple-procedure penalty, a warning)",
    "general": "一般 general",
    "serious": "严重 serious (e.g. a very large fine, a revoked licence)",
}
TRANSITIONS = {
    "finding_date": "the regime in force on the day the dishonesty was found",
    "application_date": "the regime in force on the day of the application",
    "favourable": "of those two, the one whose minimum period is shorter",
}


@dataclass(frozen=True, slots=True)
class Period:
    """Minimum and maximum months of publication for one severity."""

    min_months: int
    max_months: int


@dataclass(frozen=True, slots=True)
class Regime:
    """A repair regime in force from ``starts`` to ``ends`` (None: still in force)."""

    name: str
    label: str
    starts: date
    ends: date | None
    periods: Mapping[str, Period]

    def in_force(self, day: date) -> bool:
        return self.starts <= day and (self.ends is None or day <= self.ends)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "from": self.starts.isoformat(),
            "to": None if self.ends is None else self.ends.isoformat(),
            "periods": {
                k: {"min_months": p.min_months, "max_months": p.max_months}
                for k, p in self.periods.items()
            },
        }


@dataclass(frozen=True, slots=True)
class Window:
    """When a record found on ``found_on`` may be repaired under ``regime``: from
    ``first_day`` (the day after the minimum is complete) through ``last_published`` (the last
    day of the maximum; publication stops of itself after it)."""

    regime: Regime
    severity: str
    found_on: date
    first_day: date
    last_published: date


def window(
    found_on: date,
    severity: str,
    applied_on: date,
    transition: str = "finding_date",
    regimes: Sequence[Regime] | None = None,
) -> Window:
    """The repair window of a record found on ``found_on`` of ``severity``, for an application on
    ``applied_on``, under the regime ``transition`` chooses. :class:`InputError` for an unknown
    severity or transition, or a day no regime covers."""
    if severity not in SEVERITIES:
        raise InputError(f"severity is one of {', '.join(SEVERITIES)}, not {severity!r}")
    if transition not in TRANSITIONS:
        raise InputError(f"transition is one of {', '.join(TRANSITIONS)}, not {transition!r}")
    known = NATIONAL_REGIMES if regimes is None else regimes

    def under(regime: Regime) -> Window:
        period = regime.periods[severity]
        first = add_months(found_on, period.min_months) + timedelta(days=1)
        if period.min_months == 0:
            first = found_on
        last = add_months(found_on, period.max_months)
        return Window(regime, severity, found_on, first, last)

    def regime_on(day: date) -> Regime:
        for regime in known:
            if regime.in_force(day):
                return regime
        raise InputError(
            f"no repair regime was in force on {day}: the regimes run from "
            f"{min(r.starts for r in known)}; a record found earlier is repaired under the "
            "rules of its time, outside zhifa"
        )

    if transition == "application_date":
        return under(regime_on(applied_on))
    found = under(regime_on(found_on))
    if transition == "favourable" and regime_on(applied_on) is not found.regime:
        later = under(regime_on(applied_on))
        return min((found, later), key=lambda w: (w.first_day, w.last_published))
    return found


def parse_regimes(raw: Any, where: str = "regimes") -> tuple[Regime, ...]:
    """Regimes from their list form, in order and not overlapping; a fault is one sentence."""
    if not isinstance(raw, list) or not raw:
        raise InputError(f"{where}: a regimes file is a non-empty list of regimes")
    out: list[Regime] = []
    for i, entry in enumerate(raw):
        here = f"{where}[{i}]"
        try:
            periods = {
                k: Period(int(v["min_months"]), int(v["max_months"]))
                for k, v in dict(entry["periods"]).items()
            }
            ends = entry.get("to")
            regime = Regime(
                str(entry["name"]),
                str(entry.get("label") or entry["name"]),
                _day(entry["from"]),
                None if ends is None else _day(ends),
                periods,
            )
        except KeyError as exc:
            raise InputError(f"{here}: {exc.args[0]} is missing") from None
        except (TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"{here}: {exc}") from None
        if set(periods) != set(SEVERITIES):
            raise InputError(f"{here}: periods are given for {', '.join(SEVERITIES)}, each")
        for k, p in periods.items():
            if not 0 <= p.min_months <= p.max_months <= 1200:
                raise InputError(
                    f"{here}: {k} needs 0 <= min_months <= max_months <= 1200, not "
                    f"{p.min_months} and {p.max_months}"
                )
        if out and (out[-1].ends is None or out[-1].ends >= regime.starts):
            raise InputError(
                f"{here}: {regime.name} begins on {regime.starts}, before {out[-1].name} ends; "
                "end the earlier regime the day before"
            )
        out.append(regime)
    return tuple(out)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def load_regimes(path: Path) -> tuple[Regime, ...]:
    """Read regimes from YAML (the shape of ``repair_national.yaml``)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the repair regimes {path}: {exc}") from None
    return parse_regimes(raw, str(path))


NATIONAL_REGIMES: Sequence[Regime] = load_regimes(Path(__file__).with_name("repair_national.yaml"))
"""NDRC Order 58, then the 2026 measure (see the file for how sure each figure is)."""
