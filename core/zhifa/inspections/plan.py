"""Random-inspection plans (抽查计划) as the draw reads them: the items, and who is drawn how often.

A :class:`Plan` is one year's plan of a lead department and the departments joining it: its
checklist items (:class:`PlanItem`), the sampling ratio of each credit class and risk level, the
classes exempt unless an entity asked, the yearly caps, the rule for new businesses, the regions
and industries it covers and the least team size. A plan checks itself when made (every refusal is
an :class:`~zhifa.errors.InputError` naming what to change) and has one canonical form,
:meth:`Plan.as_dict`: what a draw record keeps and what :meth:`Plan.digest` hashes, the first of
the three digests the draw's seed is made from (:mod:`zhifa.inspections.selection`). Shares are
written as the shortest plain decimal (0.050 → ``"0.05"``), so equal plans hash alike.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from zhifa.errors import InputError
from zhifa.inspections.directories import canonical_json
from zhifa.rules import CREDIT_CLASSES, ITEM_KINDS, RISK_LEVELS, ChecklistItem, SamplingPolicy
from zhifa.rules.sampling import check_exempt

PLAN_FORMAT = "zhifa-plan-1"
GRACE_RULES = ("exclude", "include")
MAX_DEPARTMENTS = 16


def _share(value: object, what: str) -> Decimal:
    try:
        share = Decimal(str(value))
    except ArithmeticError:
        share = Decimal("NaN")
    if not share.is_finite() or not Decimal(0) <= share <= Decimal(1):
        raise InputError(f"{what} must be a share between 0 and 1, not {value!r}")
    return share


def _text(share: Decimal) -> str:
    """A share as the digest writes it: shortest plain decimal (0.050 → "0.05", 1.0 → "1")."""
    return format(share.normalize(), "f")


@dataclass(frozen=True, slots=True)
class PlanItem:
    """One inspection item of a plan: its code, ``general`` or ``key`` (重点项目), the department
    whose task it belongs to (empty: the plan's lead department), the specialty an inspector needs
    for it (empty: none) and the industry it applies to (``scope``; empty: every industry)."""

    code: str
    kind: str = "general"
    department: str = ""
    specialty: str = ""
    scope: str = ""

    def __post_init__(self) -> None:
        if not self.code:
            raise InputError("a plan item needs its checklist code")
        if self.kind not in ITEM_KINDS:
            raise InputError(
                f"plan item {self.code}: kind {self.kind!r} is not one of {', '.join(ITEM_KINDS)}"
            )

    @classmethod
    def from_checklist(
        cls, item: ChecklistItem, *, department: str = "", specialty: str = ""
    ) -> PlanItem:
        """The plan item for a checklist item (its code, kind and scope)."""
        return cls(item.code, item.kind, department, specialty, item.scope)

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "department": self.department,
            "kind": self.kind,
            "scope": self.scope,
            "specialty": self.specialty,
        }


@dataclass(frozen=True, slots=True)
class Plan:
    """A random-inspection plan as the draw reads it.

    ``ratios`` per credit class and ``risk_ratios`` per risk level are shares 0–1 (missing: 0);
    ``exempt`` classes are drawn only when the entity asked; ``yearly_cap`` maps a class to the
    random inspections an entity may have in the year; ``grace`` is what happens to businesses
    registered fewer than ``grace_days`` days before ``inspection_date``: ``"exclude"``,
    ``"include"`` or a share drawing them apart. ``regions``/``industries`` filter the
    population (empty: all). ``team_size`` is the least number of inspectors per visit (≥ 2).
    :meth:`from_policy` takes the shares from a department's :class:`SamplingPolicy`.
    """

    year: int
    lead_department: str
    items: tuple[PlanItem, ...]
    inspection_date: date
    ratios: Mapping[str, Decimal]
    risk_ratios: Mapping[str, Decimal] = field(default_factory=dict)
    exempt: frozenset[str] = frozenset()
    yearly_cap: Mapping[str, int] = field(default_factory=dict)
    grace_days: int = 0
    grace: str | Decimal = "exclude"
    key_supervision_ratio: Decimal | None = None
    participating: tuple[str, ...] = ()
    regions: frozenset[str] = frozenset()
    industries: frozenset[str] = frozenset()
    team_size: int = 2
    basis: str = ""

    def __post_init__(self) -> None:
        put = object.__setattr__
        if self.inspection_date.year != self.year:
            raise InputError(
                f"the inspection date {self.inspection_date} is not in the plan's year "
                f"{self.year}; a plan draws for one year (its yearly caps count that year)"
            )
        if not self.lead_department:
            raise InputError("the plan needs its lead department")
        participating = tuple(sorted(set(self.participating) - {self.lead_department}))
        put(self, "participating", participating)
        departments = self.departments
        if len(departments) > MAX_DEPARTMENTS:
            raise InputError(f"a plan joins at most {MAX_DEPARTMENTS} departments")
        items = tuple(
            item
            if item.department
            else PlanItem(item.code, item.kind, self.lead_department, item.specialty, item.scope)
            for item in self.items
        )
        if not items:
            raise InputError("the plan has no items; a draw inspects the plan's checklist items")
        codes = [item.code for item in items]
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            raise InputError(f"item {repeated[0]} appears more than once in the plan")
        stray = sorted({i.department for i in items} - set(departments))
        if stray:
            raise InputError(
                f"items of department {stray[0]} are in the plan but the department is neither "
                "its lead nor a participant; add it to participating"
            )
        idle = sorted(set(departments) - {i.department for i in items})
        if idle:
            raise InputError(
                f"department {idle[0]} joins the plan without an item; give it items or leave "
                "it out"
            )
        put(self, "items", tuple(sorted(items, key=lambda i: (i.department, i.code))))
        ratios = {str(k): _share(v, f"the ratio of class {k}") for k, v in self.ratios.items()}
        risk = {str(k): _share(v, f"the ratio of risk {k}") for k, v in self.risk_ratios.items()}
        unknown = sorted(
            (set(ratios) | set(self.exempt) | set(self.yearly_cap)) - set(CREDIT_CLASSES)
        )
        if unknown:
            raise InputError(
                f"unknown credit class {', '.join(unknown)}; classes are "
                f"{', '.join(CREDIT_CLASSES)}"
            )
        bad_risk = sorted(set(risk) - set(RISK_LEVELS))
        if bad_risk:
            raise InputError(
                f"unknown risk level {', '.join(bad_risk)}; levels are {', '.join(RISK_LEVELS)}"
            )
        put(self, "ratios", ratios)
        put(self, "risk_ratios", risk)
        check_exempt(set(self.exempt))
        put(self, "exempt", frozenset(self.exempt))
        caps: dict[str, int] = {}
        for k, v in self.yearly_cap.items():
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise InputError(f"the yearly cap of class {k} must be a whole number ≥ 0")
            caps[str(k)] = v
        put(self, "yearly_cap", caps)
        if not isinstance(self.grace_days, int) or self.grace_days < 0:
            raise InputError("grace_days must be a whole number of days, zero or more")
        if isinstance(self.grace, str) and self.grace in GRACE_RULES:
            pass
        elif isinstance(self.grace, str | Decimal | int | float) and not isinstance(
            self.grace, bool
        ):
            try:
                put(self, "grace", _share(self.grace, "the grace ratio"))
            except InputError:
                raise InputError(
                    f"grace must be {' or '.join(GRACE_RULES)} or a share 0–1 for new "
                    f"businesses, not {self.grace!r}"
                ) from None
        else:
            raise InputError(f"grace must be {' or '.join(GRACE_RULES)} or a share 0–1")
        if self.key_supervision_ratio is not None:
            put(
                self,
                "key_supervision_ratio",
                _share(self.key_supervision_ratio, "the key-supervision ratio"),
            )
        put(self, "regions", frozenset(str(r) for r in self.regions))
        put(self, "industries", frozenset(str(i) for i in self.industries))
        if not isinstance(self.team_size, int) or self.team_size < 2:
            raise InputError(
                f"team_size must be at least 2, not {self.team_size!r}: an inspection needs at "
                "least two inspectors (双随机 requires two per task)"
            )

    @classmethod
    def from_policy(
        cls,
        policy: SamplingPolicy,
        *,
        year: int,
        lead_department: str,
        items: Iterable[PlanItem],
        inspection_date: date,
        **overrides: Any,
    ) -> Plan:
        """A plan taking ratios, exemptions, caps, grace days and basis from ``policy``;
        keyword ``overrides`` replace any of them (or set the other fields)."""
        values: dict[str, Any] = {
            "ratios": dict(policy.ratios),
            "risk_ratios": dict(policy.risk_ratios),
            "exempt": policy.exempt,
            "yearly_cap": dict(policy.yearly_cap),
            "grace_days": policy.grace_days,
            "basis": policy.basis,
        }
        values.update(overrides)
        return cls(
            year=year,
            lead_department=lead_department,
            items=tuple(items),
            inspection_date=inspection_date,
            **values,
        )

    @property
    def departments(self) -> tuple[str, ...]:
        """The lead and participating departments, sorted by code."""
        return tuple(sorted({self.lead_department, *self.participating}))

    @property
    def has_key_item(self) -> bool:
        return any(item.kind == "key" for item in self.items)

    def ratio_of(self, credit_class: str) -> Decimal:
        return Decimal(self.ratios.get(credit_class, Decimal(0)))

    @property
    def splits_by_risk(self) -> bool:
        return any(share > 0 for share in self.risk_ratios.values())

    @property
    def splits_by_key_supervision(self) -> bool:
        return self.key_supervision_ratio is not None and self.key_supervision_ratio > 0

    def as_dict(self) -> dict[str, Any]:
        """The plan in canonical form (what :meth:`digest` hashes and a record keeps)."""
        key = self.key_supervision_ratio
        return {
            "format": PLAN_FORMAT,
            "year": self.year,
            "inspection_date": self.inspection_date.isoformat(),
            "lead_department": self.lead_department,
            "participating": list(self.participating),
            "items": [item.as_dict() for item in self.items],
            "regions": sorted(self.regions),
            "industries": sorted(self.industries),
            "ratios": {c: _text(self.ratio_of(c)) for c in CREDIT_CLASSES},
            "risk_ratios": {
                level: _text(Decimal(share))
                for level, share in sorted(self.risk_ratios.items())
                if share > 0
            },
            "key_supervision_ratio": _text(key) if key is not None and key > 0 else None,
            "exempt": sorted(self.exempt),
            "yearly_cap": dict(sorted(self.yearly_cap.items())),
            "grace_days": self.grace_days,
            "grace": self.grace if isinstance(self.grace, str) else _text(self.grace),
            "team_size": self.team_size,
            "basis": self.basis,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Plan:
        """The plan back from :meth:`as_dict` (as a draw record keeps it)."""
        if raw.get("format") != PLAN_FORMAT:
            raise InputError(f"not a plan in the format {PLAN_FORMAT}")
        try:
            grace = raw["grace"]
            return cls(
                year=int(raw["year"]),
                lead_department=str(raw["lead_department"]),
                items=tuple(PlanItem(**item) for item in raw["items"]),
                inspection_date=date.fromisoformat(raw["inspection_date"]),
                ratios={k: Decimal(v) for k, v in raw["ratios"].items()},
                risk_ratios={k: Decimal(v) for k, v in raw["risk_ratios"].items()},
                exempt=frozenset(raw["exempt"]),
                yearly_cap=dict(raw["yearly_cap"]),
                grace_days=int(raw["grace_days"]),
                grace=grace if grace in GRACE_RULES else Decimal(grace),
                key_supervision_ratio=(
                    None
                    if raw["key_supervision_ratio"] is None
                    else Decimal(raw["key_supervision_ratio"])
                ),
                participating=tuple(raw["participating"]),
                regions=frozenset(raw["regions"]),
                industries=frozenset(raw["industries"]),
                team_size=int(raw["team_size"]),
                basis=str(raw["basis"]),
            )
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise InputError(f"the plan cannot be read back: {type(exc).__name__} {exc}") from None

    def digest(self) -> str:
        """SHA-256 (hex) of ``zhifa-plan-1\\n`` followed by the canonical JSON of
        :meth:`as_dict` (UTF-8, keys sorted, no spaces)."""
        return hashlib.sha256(b"zhifa-plan-1\n" + canonical_json(self.as_dict())).hexdigest()
