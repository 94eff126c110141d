"""One exception tree for zhifa. Every message says what went wrong, why, and how to fix it.

::

    ZhifaError                      root; ``exit_code`` is what the CLI exits with
    ├── InputError                  bad input or usage (exit 2); nothing was written
    │   ├── FieldError              one or more fields of a step are missing or malformed
    │   ├── DefinitionError         a workflow file breaks the schema (names file, path, fault)
    │   ├── ImportFileError         a CSV/.xlsx file has bad rows (row numbers and reasons)
    │   ├── CatalogueError          a violation catalogue or checklist entry is invalid
    │   ├── InfeasibleDraw          a random draw's tasks cannot all be staffed (one line each)
    │   ├── BodyTooLarge            a request to the desk is over its size limit (HTTP 413)
    │   └── NotFoundError           a matter, officer, entity, workflow… does not exist
    ├── RefusedError                a rule refused the step (exit 1); nothing was written
    │   ├── PermissionRefused       the actor's role, department or certificate does not allow it
    │   ├── GuardRefused            one or more guards failed; all reasons are listed
    │   └── ConflictError           the matter changed since it was loaded: reload and retry
    ├── AuthError                   who acts is not proven: no, a wrong, an expired or a revoked
    │   │                           credential, or not an administrator (exit 3); nothing written
    │   └── LockedOut               too many failed logins: the officer must wait
    ├── PluginError                 a plugin raised; ``plugin`` names it (exit 1)
    │   ├── PluginConflict          two plugins register the same name; both are named
    │   ├── PluginWriteRefused      a guard or read-only hook tried to write; nothing was written
    │   ├── PluginTimeout           a guard or hook overran its plugin's time limit; nothing written
    │   └── PluginBroken            a plugin failed to load and is disabled; a department that uses
    │                               it is refused until it is fixed or disabled there (exit 2)
    ├── DatabaseError               the database is unreachable or not migrated (exit 2)
    └── IntegrityError              the record failed verification (exit 1)
        ├── DrawMismatch            a random draw does not re-run to its record (first difference
        │                           first, the others as details)
        └── EvidenceBroken          files the record names are missing or altered in the evidence
                                    store (one line each as details)
"""

from __future__ import annotations

from collections.abc import Sequence


class ZhifaError(Exception):
    """Root of every error zhifa raises on purpose."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def details(self) -> list[str]:
        """Extra lines (one per reason) shown under the message."""
        return []

    def as_dict(self) -> dict[str, object]:
        return {
            "error": type(self).__name__,
            "message": self.message,
            "details": self.details(),
            "exit_code": self.exit_code,
        }


class InputError(ZhifaError):
    """The input cannot be used as given."""

    exit_code = 2


class FieldError(InputError):
    """Fields of a step are missing, unknown or malformed; ``problems`` maps field → fault."""

    def __init__(self, message: str, problems: dict[str, str]) -> None:
        super().__init__(message)
        self.problems = problems

    def details(self) -> list[str]:
        return [f"{name}: {fault}" for name, fault in self.problems.items()]


class DefinitionError(InputError):
    """A workflow definition file is invalid."""

    def __init__(self, source: str, path: str, fault: str) -> None:
        where = f"{source} at {path}" if path else source
        super().__init__(f"workflow definition {where}: {fault}")
        self.source = source
        self.path = path
        self.fault = fault


class ImportFileError(InputError):
    """A data file has bad rows; ``rows`` holds (row number, reason)."""

    def __init__(self, message: str, rows: Sequence[tuple[int, str]]) -> None:
        super().__init__(message)
        self.rows = list(rows)

    def details(self) -> list[str]:
        return [f"row {n}: {reason}" for n, reason in self.rows]


class CatalogueError(InputError):
    """A catalogue or checklist entry or file is not valid; the message names the file, entry and
    fault."""


class InfeasibleDraw(InputError):
    """Some tasks of a random draw cannot be staffed; ``problems`` has one line per task or visit."""

    def __init__(self, message: str, problems: Sequence[str]) -> None:
        super().__init__(message)
        self.problems = list(problems)

    def details(self) -> list[str]:
        return list(self.problems)


class BodyTooLarge(InputError):
    """A request's body passed the desk's size limit while it was being read."""


class NotFoundError(InputError):
    """The named object does not exist."""


class RefusedError(ZhifaError):
    """A rule of the procedure refused the step."""

    exit_code = 1


class PermissionRefused(RefusedError):
    """The actor may not take this step."""

    def __init__(self, message: str, reasons: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.reasons = list(reasons)

    def details(self) -> list[str]:
        return list(self.reasons)


class GuardRefused(RefusedError):
    """Guards failed; ``reasons`` lists every failing one, each citing its rule."""

    def __init__(self, message: str, reasons: Sequence[str]) -> None:
        super().__init__(message)
        self.reasons = list(reasons)

    def details(self) -> list[str]:
        return list(self.reasons)


class ConflictError(RefusedError):
    """Someone else changed the matter after it was loaded."""


class AuthError(ZhifaError):
    """The acting officer is not authenticated as the act needs (see :mod:`zhifa.identity`)."""

    exit_code = 3


class LockedOut(AuthError):
    """Too many failed logins in a row: the officer's password logins are refused for a while."""


class PluginError(ZhifaError):
    """A plugin raised while zhifa called it; ``plugin`` is its registered name."""

    exit_code = 1

    def __init__(self, plugin: str, hook: str, cause: BaseException) -> None:
        super().__init__(
            f"plugin {plugin!r} failed in hook {hook}: {type(cause).__name__}: {cause}; "
            f"nothing was written — fix or disable the plugin "
            f"(ZHIFA_DISABLE_PLUGIN_AUTOLOAD=1 turns off installed plugins)"
        )
        self.plugin = plugin
        self.hook = hook
        self.cause: BaseException | None = cause


class PluginConflict(PluginError):
    """Two plugins register the same guard, sink or definition name."""

    def __init__(self, plugin: str, other: str, what: str) -> None:
        ZhifaError.__init__(
            self,
            f"plugins {other!r} and {plugin!r} both register {what}; disable one of them "
            "or rename it in one plugin",
        )
        self.plugin = plugin
        self.other = other
        self.hook = "register"
        self.cause = None


class PluginWriteRefused(PluginError):
    """A guard or ``zhifa_before_transition`` tried to write through the step's transaction (or
    its driver connection, or any other from its thread); ``statement`` is what it tried."""

    def __init__(self, plugin: str, hook: str, statement: str) -> None:
        ZhifaError.__init__(
            self,
            f"plugin {plugin!r} tried to write in {hook} ({statement}); guards and the hooks "
            "before a step only read, so the step was refused and nothing was written — declare "
            "the change with ctx.effect(…) instead, or fix or disable the plugin",
        )
        self.plugin = plugin
        self.hook = hook
        self.statement = statement
        self.cause = None


class PluginTimeout(PluginError):
    """A guard or a step's hook did not return within its plugin's time limit (seconds)."""

    def __init__(self, plugin: str, hook: str, limit: float) -> None:
        ZhifaError.__init__(
            self,
            f"plugin {plugin!r} did not return from {hook} within its time limit of {limit:g} s, "
            "so the step was refused and nothing was written — fix the plugin, or give it more "
            f'time in zhifa.toml ([time_limits] "{plugin}" = seconds)',
        )
        self.plugin = plugin
        self.hook = hook
        self.limit = limit
        self.cause = None


class PluginBroken(PluginError):
    """A plugin failed to load (its import, a hook called at start, a workflow file); it is
    disabled, and ``department``, which uses it, is refused until it is fixed or disabled there."""

    exit_code = 2

    def __init__(self, plugin: str, reason: str, department: str) -> None:
        ZhifaError.__init__(
            self,
            f"plugin {plugin!r} is broken and disabled ({reason}); department {department} uses "
            f"it, so its matters are not opened or stepped until the plugin is fixed or disabled "
            f"for {department} in zhifa.toml (`zhifa plugins` lists what is broken)",
        )
        self.plugin = plugin
        self.hook = "load"
        self.reason = reason
        self.department = department
        self.cause = None


class DatabaseError(ZhifaError):
    """The database cannot be used (unreachable, not migrated, wrong URL)."""

    exit_code = 2


class IntegrityError(ZhifaError):
    """The tamper-evident record failed verification."""

    exit_code = 1


class DrawMismatch(IntegrityError):
    """A random draw that does not verify: the first difference, then the others as details."""

    def __init__(self, message: str, others: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.others = list(others)

    def details(self) -> list[str]:
        return list(self.others)


class EvidenceBroken(IntegrityError):
    """Files the record names are missing from the evidence store or altered there; one line
    each in the details."""

    def __init__(self, message: str, lines: Sequence[str]) -> None:
        super().__init__(message)
        self.lines = list(lines)

    def details(self) -> list[str]:
        return list(self.lines)
