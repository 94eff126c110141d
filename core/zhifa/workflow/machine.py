"""One shared ``transitions`` machine per workflow definition version.

A matter's state lives in its database row; to fire a trigger the engine hands the machine a
throw-away token carrying that state. No machine is ever built per matter, and no model is
registered on the shared machine, so it holds no reference to any matter.
"""

from __future__ import annotations

from functools import lru_cache

from transitions import Machine, MachineError

from zhifa.workflow.definitions import Definition


class _Token:
    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


class CompiledWorkflow:
    """A definition version compiled into its ``transitions`` machine."""

    def __init__(self, definition: Definition) -> None:
        self.definition = definition
        transitions = [
            {"trigger": t.name, "source": src, "dest": dest}
            for t in definition.triggers.values()
            for src, dest in t.moves.items()
        ]
        self.machine = Machine(
            model=None,
            states=list(definition.states),
            transitions=transitions,
            initial=None,
            auto_transitions=False,
            ignore_invalid_triggers=False,
        )

    def fire(self, state: str, trigger: str) -> str:
        """The state ``trigger`` leads to from ``state``; ``ValueError`` if it is not an edge."""
        token = _Token(state)
        event = self.machine.events.get(trigger)
        if event is None:
            raise ValueError(f"{trigger!r} is not a trigger of {self.definition.name}")
        try:
            event.trigger(token)
        except MachineError:
            raise ValueError(f"{trigger!r} cannot be taken from state {state!r}") from None
        return token.state

    def triggers_from(self, state: str) -> list[str]:
        names: list[str] = self.machine.get_triggers(state)
        return names


@lru_cache(maxsize=256)
def compile_definition(definition: Definition) -> CompiledWorkflow:
    """The shared compiled machine for one definition version (cached by its identity)."""
    return CompiledWorkflow(definition)


def mermaid(definition: Definition) -> str:
    """A Mermaid state diagram of the definition, labelled in Chinese and English."""
    lines = ["stateDiagram-v2"]
    for name, state in definition.states.items():
        lines.append(f'    state "{state.label.zh}<br/>{state.label.en}" as {name}')
    lines.append(f"    [*] --> {definition.initial}: {definition.open.label.zh}")
    for t in definition.triggers.values():
        for src, dest in t.moves.items():
            lines.append(f"    {src} --> {dest}: {t.label.zh} ({t.name})")
    for name, state in definition.states.items():
        if state.terminal:
            lines.append(f"    {name} --> [*]")
    return "\n".join(lines)
