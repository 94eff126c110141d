"""What the loaded plugins provide, indexed for the engine: the workflow definitions by name and
version (the newest of each, older ones read back from the database when no plugin ships them
any more), checked once per process against the text the database stored; their compiled shared
machines; the guards by name; and the violation catalogue, per department."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from zhifa.errors import DefinitionError, NotFoundError
from zhifa.hooks.types import Guard
from zhifa.plugins import BASELINE, Plugins
from zhifa.rules import Violation
from zhifa.store import Store, Transaction
from zhifa.store.tables import WorkflowVersion
from zhifa.timekeeping import Clock
from zhifa.workflow.definitions import OPEN, Definition, Expectation, parse_definition
from zhifa.workflow.machine import CompiledWorkflow, compile_definition

VERSIONS = cast(sa.Table, WorkflowVersion.__table__)


class Registry:
    """The definitions, guards and catalogue entries an engine runs with."""

    def __init__(
        self,
        store: Store,
        plugins: Plugins,
        clock: Clock,
        guards: dict[str, tuple[str, Guard]],
        catalogue: Mapping[str, Sequence[Violation]],
    ) -> None:
        self.store = store
        self.plugins = plugins
        self.clock = clock
        self.guards = guards
        # the violation catalogues of the loaded plugins; two declaring one code fail here
        self.catalogue = catalogue
        self._catalogues: dict[str, Mapping[str, Sequence[Violation]]] = {}
        self._defs: dict[tuple[str, int], Definition] = {}
        self._latest: dict[str, Definition] = {}
        self._load_definitions()
        self._checked: set[tuple[str, int]] = set()

    # -- definitions -------------------------------------------------------------------------

    def _load_definitions(self) -> None:
        """The working plugins' definitions, each checked against the others: a definition that
        follows or expects what is not loaded breaks the plugin that ships it (see
        :meth:`zhifa.plugins.Plugins.broke`), and the others are checked again without it."""
        while True:
            self._defs, self._latest = {}, {}
            definitions = self.plugins.definitions()
            for defn in definitions:
                self._add_definition(defn)
            try:
                for defn in definitions:
                    self._check_follows(defn)
            except DefinitionError as exc:
                shipped = (
                    self.plugins.source(d) for d in definitions if d.source_name == exc.source
                )
                plugin = next(shipped, BASELINE)
                self.plugins.broke(plugin, exc, f"a workflow file it ships is malformed: {exc}")
                for name in [n for n, (p, _) in self.guards.items() if p == plugin]:
                    del self.guards[name]  # the engine's checks hold this very dictionary
                self.catalogue = {
                    code: kept
                    for code, entries in self.catalogue.items()
                    if (kept := [v for v in entries if v.department != plugin])
                }
                continue
            return

    def _check_follows(self, defn: Definition) -> None:
        """Each workflow a definition may follow is loaded and has the states it names."""
        for name, states in defn.follows.items():
            other = self._latest.get(name)
            if other is None:
                raise DefinitionError(
                    defn.source_name,
                    f"follows.{name}",
                    f"workflow {name!r} is not loaded; loaded: {', '.join(sorted(self._latest))}",
                )
            unknown = sorted(states - set(other.states))
            if unknown:
                raise DefinitionError(
                    defn.source_name,
                    f"follows.{name}",
                    f"{name} has no state {', '.join(map(repr, unknown))}",
                )
        for i, exp in enumerate(defn.expected):
            self._check_expectation(defn, exp, f"expected[{i}]")

    def _check_expectation(self, defn: Definition, exp: Expectation, path: str) -> None:
        """An expectation names a loaded workflow this one may follow, its triggers and fields."""
        other = self._latest.get(exp.workflow)
        if other is None:
            raise DefinitionError(
                defn.source_name,
                f"{path}.after.workflow",
                f"workflow {exp.workflow!r} is not loaded; loaded: {', '.join(sorted(self._latest))}",
            )
        if defn.follows and exp.workflow not in defn.follows:
            raise DefinitionError(
                defn.source_name,
                f"{path}.after.workflow",
                f"{defn.name} may not follow {exp.workflow} (see follows), so it cannot be owed to it",
            )
        unknown = sorted(exp.triggers - set(other.triggers))
        if unknown:
            raise DefinitionError(
                defn.source_name,
                f"{path}.after.triggers",
                f"{exp.workflow} has no trigger {', '.join(map(repr, unknown))}",
            )
        for key, paths in (("when", exp.when), ("unless", exp.unless)):
            for where in paths:
                trigger, name = where.split(".", 1)
                spec = other.open if trigger == OPEN else other.triggers.get(trigger)
                if spec is None or name not in spec.fields:
                    raise DefinitionError(
                        defn.source_name,
                        f"{path}.{key}.{where}",
                        f"{exp.workflow} records no field {name!r} in step {trigger!r}",
                    )

    def _add_definition(self, defn: Definition) -> None:
        for step in (defn.open, *defn.triggers.values()):
            for ref in step.guards:
                if ref.name not in self.guards:
                    path = "open" if step.name == OPEN else f"triggers.{step.name}"
                    raise DefinitionError(
                        defn.source_name,
                        f"{path}.guards",
                        f"guard {ref.name!r} is not provided by any loaded plugin "
                        f"(known: {', '.join(sorted(self.guards))})",
                    )
        self._defs[defn.key] = defn
        latest = self._latest.get(defn.name)
        if latest is None or latest.version < defn.version:
            self._latest[defn.name] = defn

    def workflows(self) -> list[Definition]:
        """The newest version of every loaded workflow, by name."""
        return [self._latest[n] for n in sorted(self._latest)]

    def definition(self, name: str, version: int | None = None) -> Definition:
        """A workflow definition: the newest loaded one, or a given version (from the database
        when no plugin ships it any more)."""
        if version is None:
            defn = self._latest.get(name)
            if defn is None:
                raise NotFoundError(
                    f"no workflow named {name!r}; loaded workflows: "
                    f"{', '.join(sorted(self._latest))}{self._broken_note()}"
                )
            return defn
        found = self._defs.get((name, version))
        if found is not None:
            return found
        with self.store.read() as session:
            row = session.get(WorkflowVersion, (name, version))
            if row is None:
                raise NotFoundError(
                    f"workflow {name} version {version} is not known to this database"
                )
            defn = parse_definition(row.source, f"{name} v{version} (stored)")
        try:
            self._add_definition(defn)
        except DefinitionError as exc:
            note = self._broken_note()
            if not note:
                raise
            raise DefinitionError(exc.source, exc.path, exc.fault + note) from None
        self._checked.add(defn.key)
        return defn

    def _broken_note(self) -> str:
        """What a broken plugin might have provided, for a message about what is missing."""
        if not self.plugins.broken:
            return ""
        named = "; ".join(f"{p!r}: {why}" for p, why in sorted(self.plugins.broken.items()))
        return f" (broken and disabled, so providing nothing: plugin {named})"

    def definition_for(
        self, tx: Transaction, name: str, version: int, *, register: bool
    ) -> Definition:
        """The definition a matter runs on, checked once per process against the stored text."""
        defn = self._defs.get((name, version)) or self.definition(name, version)
        if defn.key in self._checked:
            return defn
        conn = tx.connection
        stored = sa.select(VERSIONS.c.digest).where(
            VERSIONS.c.name == name, VERSIONS.c.version == version
        )
        digest = conn.scalar(stored)
        if digest is None:
            if not register:
                raise NotFoundError(
                    f"workflow {name} version {version} is not known to this database"
                )
            # concurrent first uses of a version each try to register it: one row is written,
            # the others wait for it (PostgreSQL) and then compare against it like any reader
            insert = (
                sqlite_insert(VERSIONS) if conn.dialect.name == "sqlite" else pg_insert(VERSIONS)
            )
            written = conn.execute(
                insert.values(
                    name=name,
                    version=version,
                    digest=defn.digest,
                    source=defn.source_text,
                    registered_at=self.clock.now(),
                )
                .on_conflict_do_nothing(index_elements=[VERSIONS.c.name, VERSIONS.c.version])
                .returning(VERSIONS.c.name)
            ).first()
            if written is not None:  # this transaction registered it
                # not marked as checked: if this step is refused, the registration rolls back
                # with it, and the next step must register the version again
                return defn
            digest = conn.scalar(stored)
        if digest != defn.digest:
            raise DefinitionError(
                defn.source_name,
                "version",
                f"this file differs from {name} version {version} that matters in this database "
                "were opened on; give the changed definition a new version number",
            )
        self._checked.add(defn.key)
        return defn

    @staticmethod
    def compiled(defn: Definition) -> CompiledWorkflow:
        """The definition's shared ``transitions`` machine (compiled once per definition)."""
        return compile_definition(defn)

    # -- the catalogue -----------------------------------------------------------------------

    def catalogue_of(self, department: str | None) -> Mapping[str, Sequence[Violation]]:
        """The catalogue entries of the plugins ``department`` uses (cached per department);
        :class:`~zhifa.errors.PluginBroken` when one of them is broken."""
        self.plugins.require(department)
        if not self.plugins.config.departments or department is None:
            return self.catalogue
        found = self._catalogues.get(department)
        if found is None:
            found = {
                code: kept
                for code, entries in self.catalogue.items()
                if (kept := [v for v in entries if self.plugins.allows(v.department, department)])
            }
            self._catalogues[department] = found
        return found
