"""Replay of the real record under a reform: every recorded penalty case that reached a decision,
measured again with the engine's own rules as the reform would have them and as installed (the
baseline), and the two compared.

A case is read as its **decision** (the latest ``decide_penalty``, ``decide_on_the_spot``,
``decide_no_penalty`` or ``decide_soft`` step of a ``case`` matter; its day is the decision day),
its **conduct day** (the opening's ``act_date``), its **violation** (the code the decision names,
else the latest notice's, else a violation text of the conclusion or opening that is exactly a
loaded code), and the **facts** and **fine** the decision recorded. Under each set of rules:

- **penalty rules** (legal range, tier, lists) as on the day of the conduct: the engine's
  :func:`~zhifa.rules.discretion` on the catalogue of ``installed.on(conduct, reform)``, which
  takes the entry in force at the conduct unless the one in force at the decision is lighter
  (从旧兼从轻, 行政处罚法 第三十七条): a reform effective on the conduct day applies, one effective
  the day after does not. The fine is placed below, within or above the reform's legal range and
  checked as the engine checks a decision (:func:`~zhifa.rules.check_decision`, 第三十二条);
- **no-penalty list** (免罚清单, 第三十三条第一款): a case *becomes no penalty* when its violation
  is on the reform's list and not the baseline's, it decided a penalty, and it was the entity's
  first decided violation of that code on record (no earlier decision against it for that code
  that found a violation). The list's other conditions (minor, corrected in time, slight harm at
  most) cannot be read from the record and are assumed to hold. It is *no longer no penalty* for
  the reverse: listed under the baseline only, and decided without a penalty on a ground that
  finds a minor violation, or by soft enforcement;
- **publication rules** as on the day of publication, a procedural step following the rules in
  force when taken: for a ``publication`` that follows the case and was published, the last day of
  publicity (市场监督管理行政处罚信息公示规定 第十三条, :meth:`~zhifa.sandbox.rules.Rules.publicity_end`
  on its opening data) and the first day a credit repair may be applied for (第十四条,
  :meth:`~zhifa.sandbox.rules.Rules.first_repair_day`, the category as ``credit_repair`` reads
  it); an approved ``credit_repair`` of it stays possible if applied for on or after that day.

Shifts compare the reform with the baseline, not with the record. A case whose violation is
unknown or not in the loaded catalogues, or a fined case whose facts fit no band, is skipped with
the reason; a decision without a fine is measured for the lists even when no band fits. Reading is
read-only (:func:`read_only_store`) and takes three queries: the cases' steps, and those of the
publications and repairs that follow them, joined through their links.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from zhifa.errors import DatabaseError, InputError
from zhifa.procedure.credit_repair import category_of
from zhifa.procedure.minor_violations import DECISIONS, MINOR_NO_PENALTY, PENALTIES
from zhifa.procedure.publication import Penalty
from zhifa.procedure.shared import FOLLOWS
from zhifa.rules import Facts, Suggestion, applicable, check_decision, discretion
from zhifa.sandbox.reform import BASELINE, Reform
from zhifa.sandbox.rules import Installed, Rules
from zhifa.store import ENV_URL, Store, create_db_engine, describe, resolve_url
from zhifa.store.tables import Entity, Event, Matter, MatterLink

CASE_STEPS = ("open", "conclude_investigation", "notify", *DECISIONS)  # the steps a case is read by
TABLES = ("entities", "matters", "events", "matter_links")  # without them: no zhifa schema
READ_ONLY_OPTION = "-c default_transaction_read_only=on"
Range = tuple[Decimal, Decimal]
Cell = str | int | None


# -- the results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measure:
    """What one set of rules makes of a case: the day the applicable entry came into force, the
    legal and suggested ranges and the tier for the facts (None: no fine and no band fits), and
    whether the entry is on the no-penalty list."""

    entry_from: date
    legal: Range | None
    suggested: Range | None
    tier: str | None
    no_penalty: bool


@dataclass(frozen=True, slots=True)
class PublicationReplay:
    """A published decision under both rules: the publicity end and its shift in days (negative:
    earlier under the reform), the first day a credit repair may be applied for (None: never, a
    severe penalty) and its shift; an approved repair, the day it was applied for and whether
    the reform allowed it then."""

    matter_id: int
    published_on: date
    recorded_end: date | None
    baseline_end: date
    reform_end: date
    shift_days: int
    category: str
    baseline_first_repair: date | None
    reform_first_repair: date | None
    repair_shift_days: int | None
    repair_matter_id: int | None
    repair_applied_on: date | None
    repair_possible: bool | None


@dataclass(frozen=True, slots=True)
class CaseReplay:
    """One decided case replayed (what each value means: :data:`COLUMNS`)."""

    matter_id: int
    entity: str | None
    department: str
    violation: str
    conduct: date
    decided: date
    outcome: str
    fine: Decimal | None
    baseline: Measure
    reform: Measure
    fine_position: str | None
    lawful_under_reform: bool | None
    leaves_tier: bool
    first_of_code: bool
    becomes_no_penalty: bool
    no_longer_no_penalty: bool
    publication: PublicationReplay | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: decimals as strings, days as ISO dates, ranges as [low, high]."""
        return dict(_json(self))


COLUMNS = tuple(
    """matter_id entity department violation conduct decided outcome fine baseline_legal
    reform_legal baseline_suggested reform_suggested fine_position lawful_under_reform
    leaves_tier first_of_code becomes_no_penalty
    no_longer_no_penalty publication_matter_id publication_published_on publication_recorded_end
    publication_baseline_end publication_reform_end publication_shift_days
    publication_baseline_first_repair publication_reform_first_repair
    publication_repair_shift_days publication_repair_matter_id publication_repair_applied_on
    publication_repair_possible""".split()  # noqa: SIM905 - one name a word reads best here
)
"""The columns of :meth:`Replay.rows` (the keys of :meth:`CaseReplay.as_dict`, flattened): the
case matter, the entity's credit code, the department, the violation code, the days of the
conduct and the decision, the decision step and its fine; the legal and suggested ranges (yuan)
under baseline and reform; the fine ``below``, ``within`` or ``above`` the reform's legal range,
whether the engine would still accept it, whether it leaves the suggested tier (within the
baseline's, outside the reform's); whether it was the entity's first decision of the code,
becomes no penalty or is no longer one; the publication (matter, day, the end recorded, under
baseline and reform, the shift in days), the first repair day under each and its shift, and an
approved repair (matter, the day applied for, whether the reform allowed it then)."""


@dataclass(frozen=True, slots=True)
class Skipped:
    """A decided case the replay could not measure, and why (one sentence)."""

    matter_id: int
    violation: str | None
    decided: date
    reason: str


@dataclass(frozen=True, slots=True)
class Replay:
    """The record replayed under a reform: the cases, the totals and the cases skipped."""

    reform: str
    cases: tuple[CaseReplay, ...]
    totals: dict[str, int]
    skipped: tuple[Skipped, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: decimals as strings, days as ISO dates, ranges as [low, high]."""
        return dict(_json(self))

    def rows(self) -> list[tuple[Cell, ...]]:
        """One row per case, in the order of :data:`COLUMNS`: text, whole numbers, ISO days,
        ranges as ``low–high``, flags as yes or no, nothing where none applies."""
        return [tuple(_flatten(c.as_dict()).get(name) for name in COLUMNS) for c in self.cases]


def totals_of(cases: Sequence[CaseReplay], skipped: int) -> dict[str, int]:
    """The totals of a replay (each a count, or days for ``publicity_days_*``)."""
    pubs = [c.publication for c in cases if c.publication is not None]
    shifts = [p.shift_days for p in pubs]
    moved = [s for p in pubs if (s := p.repair_shift_days) is not None]
    return {
        "cases": len(cases),
        "skipped": skipped,
        "fined": sum(c.fine is not None for c in cases),
        "fines_below_reform_range": sum(c.fine_position == "below" for c in cases),
        "fines_above_reform_range": sum(c.fine_position == "above" for c in cases),
        "fines_unlawful_under_reform": sum(c.lawful_under_reform is False for c in cases),
        "leaving_tier": sum(c.leaves_tier for c in cases),
        "becoming_no_penalty": sum(c.becomes_no_penalty for c in cases),
        "no_longer_no_penalty": sum(c.no_longer_no_penalty for c in cases),
        "published": len(pubs),
        "publications_ending_earlier": sum(s < 0 for s in shifts),
        "publications_ending_later": sum(s > 0 for s in shifts),
        "publicity_days_saved": sum(-s for s in shifts if s < 0),
        "publicity_days_added": sum(s for s in shifts if s > 0),
        "repairs_eligible_earlier": sum(s < 0 for s in moved),
        "repairs_eligible_later": sum(s > 0 for s in moved),
        "approved_repairs": sum(p.repair_matter_id is not None for p in pubs),
        "repairs_not_possible_under_reform": sum(p.repair_possible is False for p in pubs),
    }


def _json(value: Any) -> Any:
    """``value`` as JSON takes it: a result as its fields, decimals as strings, days as ISO."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_json(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    return value


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Cell]:
    """A case's ``as_dict`` as one level of cells, nested keys joined by ``_``."""
    out: dict[str, Cell] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            out.update(_flatten(value, f"{prefix}{key}_"))
        elif isinstance(value, list):
            out[prefix + key] = "–".join(map(str, value))
        elif isinstance(value, bool):
            out[prefix + key] = "yes" if value else "no"
        else:
            out[prefix + key] = value
    return out


# -- opening the record read-only -----------------------------------------------------------------


def read_only_store(url: str | None = None) -> Store:
    """The database at ``url`` (``--db``, ``$ZHIFA_DATABASE_URL`` or ``zhifa.db``) opened so that
    nothing can be written through it: SQLite through a ``mode=ro`` URI (and ``query_only``),
    PostgreSQL with every transaction read-only. A bad URL, an unreachable database or one
    without zhifa's tables is a :class:`~zhifa.errors.DatabaseError`."""
    resolved = resolve_url(url)
    if not resolved.startswith(("sqlite:", "sqlite+", "postgresql:", "postgresql+")):
        raise DatabaseError(f"zhifa keeps its record in SQLite or PostgreSQL, not {resolved!r}")
    checked = create_db_engine(resolved)  # the URL and its driver, as zhifa checks them
    parsed = checked.url
    checked.dispose()
    if checked.dialect.name == "sqlite":
        engine = _sqlite_engine(parsed)
    else:
        given = parsed.query.get("options")
        options = f"{given} {READ_ONLY_OPTION}" if isinstance(given, str) else READ_ONLY_OPTION
        engine = sa.create_engine(parsed, connect_args={"options": options})
    store = Store(engine=engine)
    try:
        check_schema(store, describe(resolved))
    except BaseException:
        store.dispose()
        raise
    return store


def _sqlite_engine(parsed: sa.URL) -> sa.Engine:
    path = (parsed.database or "").removeprefix("file:")
    if path in ("", ":memory:") or not os.path.isfile(path):
        raise DatabaseError(
            f"no database file {os.path.abspath(path) if path else '(none given)'}; give the "
            "file a zhifa database is kept in, such as sqlite:///zhifa.db"
        )
    path = os.path.abspath(path)
    query = {"mode": "ro", "uri": "true"}
    engine = sa.create_engine(
        sa.URL.create(parsed.drivername, database=f"file:{quote(path)}", query=query)
    )

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # BEGIN is issued below: one read, one snapshot
        for pragma in ("query_only=ON", "busy_timeout=60000"):
            dbapi_conn.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


def check_schema(store: Store, shown: str | None = None) -> None:
    """Raise :class:`DatabaseError` unless the database answers and holds the tables the replay
    reads (``shown``: the URL to name, without its password)."""
    where = shown or describe(store.url)
    try:
        with store.engine.connect() as conn:
            have = set(sa.inspect(conn).get_table_names())
    except DBAPIError as exc:
        raise DatabaseError(
            f"cannot open the database {where}: {_reason(exc)}; check --db or {ENV_URL}"
        ) from None
    missing = [t for t in TABLES if t not in have]
    if missing:
        raise DatabaseError(
            f"the database {where} has no zhifa schema (no table {', '.join(missing)}); "
            f"run: zhifa db upgrade --db {where}"
        )


@contextmanager
def _reading(store: Store) -> Iterator[Session]:
    """A session that never commits; on PostgreSQL its transaction refuses writes as well."""
    with store.read() as session:
        if store.dialect == "postgresql":
            session.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
        yield session


def _reason(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)


# -- reading the record ---------------------------------------------------------------------------


class _Step(NamedTuple):
    event_id: int
    trigger: str
    at: datetime
    data: Mapping[str, Any]


@dataclass(slots=True)
class _Matter:
    """A matter as read: department, entity (id, credit code), the matter it follows, steps."""

    id: int
    department: str
    entity_id: int | None
    uscc: str | None
    follows: int | None
    steps: list[_Step] = field(default_factory=list)

    def latest(self, *triggers: str) -> _Step | None:
        return next((s for s in reversed(self.steps) if s.trigger in triggers), None)


def _matters(
    session: Session, workflow: str, triggers: Sequence[str], following: bool
) -> dict[int | None, list[_Matter]]:
    """The matters of ``workflow`` with their steps ``triggers``, in one query, by the matter
    they follow; ``following``: only those that follow one (joined through the link)."""
    columns = [Event.id, Event.matter_id, Event.trigger, Event.occurred_at, Event.data]
    columns += [Matter.department_code, Matter.entity_id, Entity.uscc]
    query = (
        sa.select(*columns, (MatterLink.source_id if following else sa.null()).label("followed"))
        .join(Matter, Matter.id == Event.matter_id)
        .outerjoin(Entity, Entity.id == Matter.entity_id)
        .where(Matter.workflow == workflow, Event.trigger.in_(triggers))
        .order_by(Event.matter_id, Event.seq)
    )
    if following:
        query = query.join(
            MatterLink, sa.and_(MatterLink.target_id == Matter.id, MatterLink.kind == FOLLOWS)
        )
    found: dict[int, _Matter] = {}
    grouped: dict[int | None, list[_Matter]] = defaultdict(list)
    for r in session.execute(query):
        matter = found.get(int(r.matter_id))
        if matter is None:
            entity = None if r.entity_id is None else int(r.entity_id)
            source = None if r.followed is None else int(r.followed)
            matter = _Matter(int(r.matter_id), str(r.department_code), entity, r.uscc, source)
            found[matter.id] = matter
            grouped[source].append(matter)
        matter.steps.append(_Step(int(r.id), str(r.trigger), r.occurred_at, json.loads(r.data)))
    return grouped


# -- evaluating ----------------------------------------------------------------------------------


class _Replayer:
    """Evaluates the cases under the baseline and a reform, the rules of each day built once."""

    def __init__(self, installed: Installed, reform: Reform, session: Session) -> None:
        self.installed, self.reform = installed, reform
        self.cases = _matters(session, "case", CASE_STEPS, False)[None]
        self.publications = _matters(session, "publication", ("open", "publish"), True)
        self.repairs = _matters(session, "credit_repair", ("open", "approve"), True)
        self._rules: dict[tuple[bool, date], Rules] = {}
        self.codes = frozenset(installed.violations)
        self.history: dict[tuple[str, str], list[tuple[datetime, int]]] = defaultdict(list)
        for case in self.cases:  # every decision that found a violation, by party and code
            for step in case.steps:
                ground = step.data.get("ground")
                if step.trigger not in DECISIONS or (
                    step.trigger == "decide_no_penalty" and ground not in MINOR_NO_PENALTY
                ):
                    continue  # no decision, or none that found a violation
                if (code := self.code_of(case, step)) is not None:
                    self.history[(_party(case), code)].append((step.at, step.event_id))

    def rules(self, day: date, reformed: bool) -> Rules:
        key = (reformed, day)
        if key not in self._rules:
            self._rules[key] = self.installed.on(day, self.reform if reformed else BASELINE)
        return self._rules[key]

    def code_of(self, case: _Matter, decision: _Step) -> str | None:
        """The violation code the decision names, else the latest earlier notice's, else an
        earlier violation text that is exactly a code of the loaded catalogues."""
        if named := decision.data.get("violation"):
            return str(named)
        for step in reversed([s for s in case.steps if s.event_id < decision.event_id]):
            value = step.data.get("violation")
            if step.trigger == "notify" and value:
                return str(value)
            if isinstance(value, str) and value.strip() in self.codes:
                return value.strip()
        return None

    def measure(
        self, code: str, facts: Facts, conduct: date, decided: date, fined: bool, reformed: bool
    ) -> tuple[Measure, Suggestion | None]:
        """The case under one set of rules, the penalty rules as on the day of the conduct."""
        catalogue = self.rules(conduct, reformed).catalogue()
        try:
            found, _why = discretion(catalogue, code, facts, conduct, decided)
        except InputError:
            if fined or not catalogue.get(code):
                raise
            entry, _ = applicable(catalogue[code], code, conduct, decided, facts)  # may raise
            return Measure(
                entry.in_force_from, None, None, None, entry.no_penalty is not None
            ), None
        v, tier = found.violation, found.tier.name
        listed = v.no_penalty is not None
        return Measure(v.in_force_from, found.legal, found.suggested, tier, listed), found

    def case(self, case: _Matter) -> CaseReplay | Skipped | None:
        decision = case.latest(*DECISIONS)
        if decision is None:
            return None
        decided, code = decision.at.date(), self.code_of(case, decision)

        def skip(reason: str) -> Skipped:
            return Skipped(case.id, code, decided, reason)

        if code is None:
            return skip(
                f"the decision ({decision.trigger}) names no violation of a catalogue, nor does "
                "an earlier step of the case; there is nothing to measure it against"
            )
        opened = case.latest("open")
        act = opened.data.get("act_date") if opened is not None else None
        conduct = date.fromisoformat(str(act)) if act else decided
        fine = Decimal(str(decision.data.get("fine") or 0)) or None  # nothing is no fine
        try:
            facts = Facts.parse(decision.data.get("facts") or {})
            base, _ = self.measure(code, facts, conduct, decided, fine is not None, False)
            new, found = self.measure(code, facts, conduct, decided, fine is not None, True)
        except InputError as exc:
            return skip(exc.message)
        mine = (decision.at, decision.event_id)
        first = not any(d < mine for d in self.history.get((_party(case), code), ()))
        ground = decision.data.get("ground")
        spared = decision.trigger == "decide_soft" or ground in MINOR_NO_PENALTY
        lawful = None if found is None or fine is None else not check_decision(found, fine)[0]
        penalised = decision.trigger in PENALTIES
        return CaseReplay(
            matter_id=case.id,
            entity=case.uscc,
            department=case.department,
            violation=code,
            conduct=conduct,
            decided=decided,
            outcome=decision.trigger,
            fine=fine,
            baseline=base,
            reform=new,
            fine_position=_position(fine, new.legal),
            lawful_under_reform=lawful,
            leaves_tier=_within(fine, base.suggested) is True
            and _within(fine, new.suggested) is False,
            first_of_code=first,
            becomes_no_penalty=new.no_penalty and not base.no_penalty and penalised and first,
            no_longer_no_penalty=base.no_penalty and not new.no_penalty and spared,
            publication=self.publication(case.id),
        )

    def publication(self, case_id: int) -> PublicationReplay | None:
        """The latest published publication following the case, under both rules."""
        published = [
            (m, p) for m in self.publications.get(case_id, ()) if (p := m.latest("publish"))
        ]
        if not published:
            return None
        matter, publish = published[-1]
        opened = matter.latest("open")
        data: Mapping[str, Any] = opened.data if opened is not None else {}
        day, penalty, category = publish.at.date(), Penalty.from_data(data), category_of(data)
        base, new = self.rules(day, False), self.rules(day, True)
        first_base, first_new = (r.first_repair_day(day, category) for r in (base, new))
        end_base, end_new = (r.publicity_end(day, penalty) for r in (base, new))
        recorded = publish.data.get("publicity_ends_on")
        repair, applied = self.repair(matter.id)
        possible = None if applied is None else bool(first_new and first_new <= applied)
        return PublicationReplay(
            matter_id=matter.id,
            published_on=day,
            recorded_end=date.fromisoformat(str(recorded)) if recorded else None,
            baseline_end=end_base,
            reform_end=end_new,
            shift_days=(end_new - end_base).days,
            category=category,
            baseline_first_repair=first_base,
            reform_first_repair=first_new,
            repair_shift_days=(first_new - first_base).days if first_base and first_new else None,
            repair_matter_id=repair,
            repair_applied_on=applied,
            repair_possible=possible,
        )

    def repair(self, publication_id: int) -> tuple[int | None, date | None]:
        """The first approved credit repair following the publication, and its opening day."""
        for matter in self.repairs.get(publication_id, ()):
            opened = matter.latest("open")
            if matter.latest("approve") is not None and opened is not None:
                return matter.id, opened.at.date()
        return None, None


def replay(
    store_or_url: Store | str | None,
    installed: Installed,
    reform: Reform,
    *,
    departments: Iterable[str] | None = None,
) -> Replay:
    """The record replayed under ``reform`` against the baseline (see the module documentation).
    ``store_or_url``: a URL (None: ``$ZHIFA_DATABASE_URL`` or ``zhifa.db``) opened with
    :func:`read_only_store` and closed afterwards, or a :class:`~zhifa.store.Store` read in a
    session that never commits. ``departments`` keeps the cases of those departments; every
    earlier decision on record still counts when telling a first violation."""
    own = not isinstance(store_or_url, Store)
    store = store_or_url if isinstance(store_or_url, Store) else read_only_store(store_or_url)
    try:
        with _reading(store) as session:
            replayer = _Replayer(installed, reform, session)
    except DBAPIError as exc:
        raise DatabaseError(
            f"cannot read the record from {describe(store.url)}: {_reason(exc)}"
        ) from None
    finally:
        if own:
            store.dispose()
    keep = None if departments is None else frozenset(departments)
    cases: list[CaseReplay] = []
    skipped: list[Skipped] = []
    for case in replayer.cases:
        result = replayer.case(case) if keep is None or case.department in keep else None
        if isinstance(result, CaseReplay):
            cases.append(result)
        elif isinstance(result, Skipped):
            skipped.append(result)
    return Replay(reform.name, tuple(cases), totals_of(cases, len(skipped)), tuple(skipped))


def _party(case: _Matter) -> str:
    """Who a case is against: its entity; a case against no registered entity, its own party."""
    return f"entity:{case.entity_id}" if case.entity_id is not None else f"case:{case.id}"


def _position(fine: Decimal | None, legal: Range | None) -> str | None:
    if fine is None or legal is None:
        return None
    return "below" if fine < legal[0] else "above" if fine > legal[1] else "within"


def _within(fine: Decimal | None, suggested: Range | None) -> bool | None:
    return None if fine is None or suggested is None else suggested[0] <= fine <= suggested[1]


__all__ = ["COLUMNS", "CaseReplay", "Measure", "PublicationReplay", "Replay", "Skipped"]
__all__ += ["check_schema", "read_only_store", "replay", "totals_of"]
