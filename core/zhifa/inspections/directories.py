"""The two directories a random draw (双随机) is made from, frozen as NumPy arrays with a hash.

A :class:`TargetDirectory` is the target directory (检查对象名录) at the moment it is frozen: one
row per market entity, held as columns. An :class:`InspectorDirectory` is the inspector directory
(执法检查人员名录) with the declared conflicts of interest and the officers of each entity's last
inspection. Both are put in a canonical form when built — rows sorted by id, the text values of a
column (regions, industries) as a sorted vocabulary of the values in use — so the same content
always gives the same :meth:`~TargetDirectory.digest`, and any change (one class letter, one
conflict) gives another. The digests are part of the public seed of the draw (see
:mod:`zhifa.inspections.selection`).

Canonical encoding of a target directory (``digest``) — SHA-256 over, in this order:

1. the ASCII line ``zhifa-targets-1`` and a newline;
2. a JSON header, UTF-8, keys sorted, no spaces (``separators=(",", ":")``, non-ASCII characters
   as themselves), then a newline: ``{"count": n, "industries": [...], "regions": [...]}`` where
   ``regions`` and ``industries`` are the sorted distinct values in use;
3. the columns, rows sorted by entity id, each as little-endian fixed-width integers:
   entity id (int64), credit class (uint8: 0=A, 1=B, 2=C, 3=D), risk level (int8: -1 unrated,
   0 low, 1 medium, 2 high), region (int32: position in ``regions``), industry (int32: position in
   ``industries``), registration date (int32: proleptic Gregorian ordinal, ``date.toordinal()``,
   0001-01-01 = 1), key supervision (uint8 0/1), asked for an inspection (uint8 0/1), random
   inspections already this year (int32).

Canonical encoding of an inspector directory — SHA-256 over:

1. the ASCII line ``zhifa-inspectors-1`` and a newline;
2. a JSON header as above, then a newline: ``{"conflicts": c, "last_inspection": l,
   "officers": [[id, department, valid_from, valid_to, [specialties], [regions]], ...]}`` with
   officers sorted by id, dates as ``YYYY-MM-DD`` or ``null``, specialties and regions sorted;
3. the declared conflicts, sorted by (entity, officer) and without repeats: the entity ids
   (int64 little-endian) then the officers as positions in the header's list (int32);
4. the officers of each entity's last inspection, encoded the same way.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from zhifa.errors import InputError
from zhifa.rules import CREDIT_CLASSES, RISK_LEVELS

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()  # 719163: datetime64[D] 0 as a date ordinal
MAX_OFFICERS = 1 << 21  # officer positions fit in 21 bits (see zhifa.inspections)
MAX_SPECIALTIES = 64  # specialties are a 64-bit mask


def canonical_json(value: Any) -> bytes:
    """The JSON the digests hash: UTF-8, keys sorted, no spaces, non-ASCII as itself."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(
        "utf-8"
    )


def _column(
    values: ArrayLike, dtype: type[np.generic], name: str, count: int | None
) -> NDArray[Any]:
    array = np.array(values, copy=True)
    if array.ndim != 1:
        raise InputError(f"the column {name} must be one-dimensional, not of shape {array.shape}")
    if count is not None and array.shape[0] != count:
        raise InputError(
            f"the column {name} has {array.shape[0]} rows and the entity ids {count}; "
            "give one value per entity"
        )
    if array.size and dtype is not np.bool_ and array.dtype.kind not in "iub":
        raise InputError(f"the column {name} must hold integer codes, not {array.dtype}")
    out = array.astype(dtype)
    if array.size and dtype is not np.bool_ and not np.array_equal(out, array):
        raise InputError(f"the column {name} has values out of range for {np.dtype(dtype).name}")
    return out


def _vocabulary(
    codes: NDArray[np.int32], vocabulary: Sequence[str], name: str
) -> tuple[NDArray[np.int32], tuple[str, ...]]:
    """Codes into the sorted vocabulary of the values in use (unused and repeated values go)."""
    words = [str(w) for w in vocabulary]
    if codes.size and (int(codes.min()) < 0 or int(codes.max()) >= len(words)):
        raise InputError(
            f"the column {name} has codes outside its vocabulary of {len(words)} values"
        )
    used = np.bincount(codes, minlength=len(words)) > 0 if codes.size else np.zeros(0, bool)
    kept = sorted({words[i] for i in np.flatnonzero(used)})
    if kept == words:
        return codes, tuple(kept)
    position = {w: i for i, w in enumerate(kept)}
    remap = np.array([position.get(w, -1) for w in words], dtype=np.int32)
    return remap[codes], tuple(kept)


def _text_column(values: ArrayLike, name: str, count: int) -> NDArray[np.str_]:
    """Text values, one per entity (None as the empty string)."""
    objects = np.asarray(values, dtype=object)
    if objects.shape != (count,):
        rows = objects.shape[0] if objects.ndim else 0
        raise InputError(
            f"the column {name} has {rows} rows and the entity ids {count}; give one value "
            "per entity"
        )
    return np.array(["" if v is None else str(v) for v in objects.tolist()], dtype=str)


def _categories(values: ArrayLike, name: str, count: int) -> tuple[NDArray[np.int32], list[str]]:
    strings = _text_column(values, name, count)
    words, codes = np.unique(strings, return_inverse=True)
    return codes.astype(np.int32), [str(w) for w in words]


def date_ordinals(values: ArrayLike | Sequence[date], count: int) -> NDArray[np.int32]:
    """Dates (``date`` objects, ``datetime64`` or ordinals) as proleptic Gregorian ordinals."""
    if isinstance(values, Sequence) and values and isinstance(values[0], date):
        return np.array([d.toordinal() for d in values], dtype=np.int32)  # type: ignore[union-attr]
    array = np.asarray(values)
    if array.dtype.kind == "M":
        days = array.astype("datetime64[D]").astype(np.int64) + EPOCH_ORDINAL
        return days.astype(np.int32)
    if array.size == 0:
        return np.zeros(count, dtype=np.int32)
    return _column(array, np.int32, "registered_on", count)


@dataclass(frozen=True, slots=True, eq=False)
class TargetDirectory:
    """The target directory as frozen for a draw: one row per entity, in columns.

    Codes: ``credit_class`` 0–3 for A–D (:data:`zhifa.rules.CREDIT_CLASSES`); ``risk_level``
    -1 for an entity without a risk level, else 0–2 for low, medium, high
    (:data:`zhifa.rules.RISK_LEVELS`); ``region`` and ``industry`` are positions in
    ``regions`` and ``industries``; ``registered_on`` is the registration date as
    ``date.toordinal()``; ``inspected_this_year`` counts the random inspections of the entity
    already in the plan's year. Rows are sorted by id and the vocabularies reduced to the sorted
    values in use when the directory is made; :meth:`build` takes text values instead of codes.
    """

    ids: NDArray[np.int64]
    credit_class: NDArray[np.uint8]
    risk_level: NDArray[np.int8]
    region: NDArray[np.int32]
    industry: NDArray[np.int32]
    registered_on: NDArray[np.int32]
    key_supervision: NDArray[np.bool_]
    asked: NDArray[np.bool_]
    inspected_this_year: NDArray[np.int32]
    regions: tuple[str, ...] = ("",)
    industries: tuple[str, ...] = ("",)
    _digest: list[str] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        put = object.__setattr__
        ids = _column(self.ids, np.int64, "ids", None)
        n = ids.shape[0]
        columns: dict[str, NDArray[Any]] = {
            "credit_class": _column(self.credit_class, np.uint8, "credit_class", n),
            "risk_level": _column(self.risk_level, np.int8, "risk_level", n),
            "region": _column(self.region, np.int32, "region", n),
            "industry": _column(self.industry, np.int32, "industry", n),
            "registered_on": _column(self.registered_on, np.int32, "registered_on", n),
            "key_supervision": _column(self.key_supervision, np.bool_, "key_supervision", n),
            "asked": _column(self.asked, np.bool_, "asked", n),
            "inspected_this_year": _column(
                self.inspected_this_year, np.int32, "inspected_this_year", n
            ),
        }
        if n:
            if int(columns["credit_class"].max()) >= len(CREDIT_CLASSES):
                raise InputError(
                    "credit_class codes are 0–3 for A–D; map every entity to a class before "
                    "freezing the directory"
                )
            risk = columns["risk_level"]
            if int(risk.min()) < -1 or int(risk.max()) >= len(RISK_LEVELS):
                raise InputError("risk_level codes are -1 (none), 0 low, 1 medium, 2 high")
            if int(columns["inspected_this_year"].min()) < 0:
                raise InputError("inspected_this_year counts inspections: zero or more")
        order: NDArray[np.intp] | None = None
        steps = np.diff(ids)
        if steps.size and not bool((steps > 0).all()):
            order = np.argsort(ids, kind="stable")
            ids = ids[order]
            repeated = np.flatnonzero(np.diff(ids) == 0)
            if repeated.size:
                raise InputError(
                    f"entity id {int(ids[repeated[0]])} appears more than once in the target "
                    "directory; each entity is one row"
                )
        for name, column in columns.items():
            if order is not None:
                column = column[order]
            if name in ("region", "industry"):
                vocab_name = "regions" if name == "region" else "industries"
                column, vocabulary = _vocabulary(column, getattr(self, vocab_name), name)
                put(self, vocab_name, vocabulary)
            column.setflags(write=False)
            put(self, name, column)
        ids.setflags(write=False)
        put(self, "ids", ids)

    @classmethod
    def build(
        cls,
        ids: ArrayLike,
        credit_class: ArrayLike,
        *,
        risk_level: ArrayLike | None = None,
        region: ArrayLike | None = None,
        industry: ArrayLike | None = None,
        registered_on: ArrayLike | Sequence[date] | None = None,
        key_supervision: ArrayLike | None = None,
        asked: ArrayLike | None = None,
        inspected_this_year: ArrayLike | None = None,
    ) -> TargetDirectory:
        """A directory from text values: classes ``"A"``–``"D"``, risk levels ``"low"``,
        ``"medium"``, ``"high"`` or ``None``/``""``, region and industry codes as text, dates."""
        id_array = np.asarray(ids)
        n = id_array.shape[0] if id_array.ndim else 0
        classes = _text_column(credit_class, "credit_class", n)
        class_codes = np.full(n, 255, dtype=np.uint8)
        for code, letter in enumerate(CREDIT_CLASSES):
            class_codes[classes == letter] = code
        if n and (class_codes == 255).any():
            bad = str(classes[np.flatnonzero(class_codes == 255)[0]])
            raise InputError(
                f"credit class {bad!r} is not one of {', '.join(CREDIT_CLASSES)}; give every "
                "entity of the directory a class"
            )
        risk_codes = np.full(n, -1, dtype=np.int8)
        if risk_level is not None:
            risks = _text_column(risk_level, "risk_level", n)
            known = np.isin(risks, [*RISK_LEVELS, ""])
            if not known.all():
                bad = str(risks[np.flatnonzero(~known)[0]])
                raise InputError(
                    f"risk level {bad!r} is not one of {', '.join(RISK_LEVELS)} (or none)"
                )
            for code, level in enumerate(RISK_LEVELS):
                risk_codes[risks == level] = code
        regions, region_vocab = (
            _categories(region, "region", n)
            if region is not None
            else (np.zeros(n, np.int32), [""])
        )
        industries, industry_vocab = (
            _categories(industry, "industry", n)
            if industry is not None
            else (np.zeros(n, np.int32), [""])
        )
        return cls(
            ids=id_array,
            credit_class=class_codes,
            risk_level=risk_codes,
            region=regions,
            industry=industries,
            registered_on=(
                date_ordinals(registered_on, n)
                if registered_on is not None
                else np.ones(n, dtype=np.int32)
            ),
            key_supervision=(
                np.asarray(key_supervision, dtype=bool)
                if key_supervision is not None
                else np.zeros(n, bool)
            ),
            asked=np.asarray(asked, dtype=bool) if asked is not None else np.zeros(n, bool),
            inspected_this_year=(
                np.asarray(inspected_this_year)
                if inspected_this_year is not None
                else np.zeros(n, np.int32)
            ),
            regions=tuple(region_vocab),
            industries=tuple(industry_vocab),
        )

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def digest(self) -> str:
        """SHA-256 (hex) of the canonical encoding described in the module documentation."""
        if not self._digest:
            h = hashlib.sha256(b"zhifa-targets-1\n")
            header = {
                "count": len(self),
                "industries": list(self.industries),
                "regions": list(self.regions),
            }
            h.update(canonical_json(header) + b"\n")
            for column, dtype in (
                (self.ids, "<i8"),
                (self.credit_class, "u1"),
                (self.risk_level, "i1"),
                (self.region, "<i4"),
                (self.industry, "<i4"),
                (self.registered_on, "<i4"),
                (self.key_supervision, "u1"),
                (self.asked, "u1"),
                (self.inspected_this_year, "<i4"),
            ):
                h.update(np.ascontiguousarray(column, dtype=dtype).data)
            self._digest.append(h.hexdigest())
        return self._digest[0]

    def index_of(self, entity_id: int) -> int:
        """The row of an entity, or an :class:`InputError` naming it."""
        row = int(np.searchsorted(self.ids, entity_id))
        if row >= len(self) or int(self.ids[row]) != entity_id:
            raise InputError(f"entity {entity_id} is not in the target directory")
        return row


@dataclass(frozen=True, slots=True)
class Inspector:
    """One officer of the inspector directory.

    ``certificate_valid_from``/``_to``: the enforcement certificate (执法证), both days included;
    an officer without one has ``None``. ``specialties``: what the officer is qualified to check
    (the plan's items name the specialty they need). ``regions``: the region codes the officer
    inspects; empty means every region.
    """

    id: str
    department: str
    certificate_valid_from: date | None = None
    certificate_valid_to: date | None = None
    specialties: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.id or not self.department:
            raise InputError(f"inspector {self.id or '?'}: an id and a department are both needed")
        start, end = self.certificate_valid_from, self.certificate_valid_to
        if (start is None) != (end is None) or (start and end and end < start):
            raise InputError(
                f"inspector {self.id}: give the certificate's first and last valid day, the "
                "first not after the last (or neither, for an officer without a certificate)"
            )
        object.__setattr__(self, "specialties", frozenset(self.specialties))
        object.__setattr__(self, "regions", frozenset(self.regions))

    def certified_on(self, day: date) -> bool:
        start, end = self.certificate_valid_from, self.certificate_valid_to
        return start is not None and end is not None and start <= day <= end

    def as_list(self) -> list[Any]:
        start, end = self.certificate_valid_from, self.certificate_valid_to
        return [
            self.id,
            self.department,
            start.isoformat() if start else None,
            end.isoformat() if end else None,
            sorted(self.specialties),
            sorted(self.regions),
        ]


def _pairs(
    entity: ArrayLike, officer: ArrayLike, count: int, what: str
) -> tuple[NDArray[np.int64], NDArray[np.int32]]:
    entities = _column(entity, np.int64, f"{what} entities", None)
    officers = _column(officer, np.int32, f"{what} officers", entities.shape[0])
    if officers.size and (int(officers.min()) < 0 or int(officers.max()) >= count):
        raise InputError(f"the {what} name an officer position outside the directory")
    order = np.lexsort((officers, entities))
    entities, officers = entities[order], officers[order]
    if entities.size > 1:
        keep = np.ones(entities.shape[0], bool)
        keep[1:] = (np.diff(entities) != 0) | (np.diff(officers) != 0)
        entities, officers = entities[keep], officers[keep]
    entities.setflags(write=False)
    officers.setflags(write=False)
    return entities, officers


@dataclass(frozen=True, slots=True, eq=False)
class InspectorDirectory:
    """The inspector directory as frozen for a draw.

    ``officers`` sorted by id (they are sorted when the directory is made); the declared
    conflicts of interest as pairs (``conflict_entity[i]``, ``conflict_officer[i]``) and the
    officers of each entity's last inspection as pairs (``last_entity[i]``, ``last_officer[i]``),
    officers given as positions in ``officers``. :meth:`build` takes officer ids instead.
    """

    officers: tuple[Inspector, ...]
    conflict_entity: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    conflict_officer: NDArray[np.int32] = field(default_factory=lambda: np.zeros(0, np.int32))
    last_entity: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    last_officer: NDArray[np.int32] = field(default_factory=lambda: np.zeros(0, np.int32))
    _digest: list[str] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        put = object.__setattr__
        officers = tuple(self.officers)
        n = len(officers)
        if n > MAX_OFFICERS:
            raise InputError(f"an inspector directory holds at most {MAX_OFFICERS:,} officers")
        ids = [o.id for o in officers]
        order = sorted(range(n), key=ids.__getitem__)
        conflict_officer = np.asarray(self.conflict_officer)
        last_officer = np.asarray(self.last_officer)
        if order != list(range(n)):
            new_position = np.empty(n, dtype=np.int32)
            new_position[np.array(order, dtype=np.intp)] = np.arange(n, dtype=np.int32)
            officers = tuple(officers[i] for i in order)
            if conflict_officer.size:
                conflict_officer = new_position[conflict_officer]
            if last_officer.size:
                last_officer = new_position[last_officer]
        for before, after in itertools.pairwise(officers):
            if before.id == after.id:
                raise InputError(
                    f"officer {before.id} appears more than once in the inspector directory"
                )
        specialties = sorted({s for o in officers for s in o.specialties})
        if len(specialties) > MAX_SPECIALTIES:
            raise InputError(
                f"the inspector directory names {len(specialties)} specialties; at most "
                f"{MAX_SPECIALTIES} are supported"
            )
        put(self, "officers", officers)
        for prefix, entity, officer in (
            ("conflict", self.conflict_entity, conflict_officer),
            ("last", self.last_entity, last_officer),
        ):
            what = "declared conflicts" if prefix == "conflict" else "last inspections"
            e, o = _pairs(entity, officer, n, what)
            put(self, f"{prefix}_entity", e)
            put(self, f"{prefix}_officer", o)

    @classmethod
    def build(
        cls,
        officers: Iterable[Inspector],
        conflicts: Iterable[tuple[str, int]] = (),
        last_inspection: Mapping[int, Iterable[str]] | None = None,
    ) -> InspectorDirectory:
        """A directory from officers, declared conflicts as (officer id, entity id) pairs and
        each entity's last inspection as entity id → the ids of its officers. An officer of a
        last inspection who is no longer in the directory is left out (they cannot be drawn);
        a conflict must name an officer of the directory."""
        people = tuple(officers)
        position = {o.id: i for i, o in enumerate(people)}

        def at(officer: str, what: str) -> int:
            try:
                return position[officer]
            except KeyError:
                raise InputError(
                    f"{what} names officer {officer}, who is not in the inspector directory"
                ) from None

        pairs = list(conflicts)
        last = [
            (e, o)
            for e, officers_ in (last_inspection or {}).items()
            for o in officers_
            if o in position
        ]
        return cls(
            people,
            np.array([e for _, e in pairs], dtype=np.int64),
            np.array([at(o, "a declared conflict") for o, _ in pairs], dtype=np.int32),
            np.array([e for e, _ in last], dtype=np.int64),
            np.array([position[o] for _, o in last], dtype=np.int32),
        )

    def __len__(self) -> int:
        return len(self.officers)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.officers)

    def digest(self) -> str:
        """SHA-256 (hex) of the canonical encoding described in the module documentation."""
        if not self._digest:
            h = hashlib.sha256(b"zhifa-inspectors-1\n")
            header = {
                "conflicts": int(self.conflict_entity.shape[0]),
                "last_inspection": int(self.last_entity.shape[0]),
                "officers": [o.as_list() for o in self.officers],
            }
            h.update(canonical_json(header) + b"\n")
            for column, dtype in (
                (self.conflict_entity, "<i8"),
                (self.conflict_officer, "<i4"),
                (self.last_entity, "<i8"),
                (self.last_officer, "<i4"),
            ):
                h.update(np.ascontiguousarray(column, dtype=dtype).data)
            self._digest.append(h.hexdigest())
        return self._digest[0]
