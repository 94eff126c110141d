"""A department plugin shipping its own workflow (``sampling``) and the guard it needs, and a
plugin shipping workflow files only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zhifa import hookimpl
from zhifa.hooks.types import Guard, StepContext

SAMPLING_WORKFLOW = """
name: sampling
version: 1
label: {zh: 抽样检验, en: Sampling}
initial: sampled
states:
  sampled: {zh: 已抽样, en: Sampled}
  sent: {zh: 已送检, en: Sent to the laboratory, terminal: true}
open:
  label: {zh: 抽样, en: Take a sample}
  roles: [inspector]
triggers:
  send:
    label: {zh: 送检, en: Send}
    from: sampled
    to: sent
    roles: [inspector]
    fields:
      sample_id: {type: string, label: {zh: 样品编号, en: Sample id}}
    guards: [{name: sample_kept, copies: 2}]
"""


class DepartmentPlugin:
    """A department plugin shipping its own workflow and the guard that workflow needs.

    The workflow is written to ``folder / "sampling.yaml"`` (``.path``); a test may write a
    variant there before the engine loads it.
    """

    __name__ = "zhifa-market-test"

    def __init__(self, folder: Any) -> None:
        self.path = folder / "sampling.yaml"
        self.path.write_text(SAMPLING_WORKFLOW, "utf-8")

    @hookimpl
    def zhifa_workflows(self) -> list[Any]:
        return [self.path]

    @hookimpl
    def zhifa_guards(self) -> list[Any]:
        def sample_kept(ctx: StepContext, copies: int) -> str | None:
            if not ctx.data.get("sample_id"):
                return f"a sample id is needed: {copies} copies are kept (食品安全法 第八十七条)"
            return None

        return [Guard("sample_kept", sample_kept, "a sample is kept", needs_data=True)]


class WorkflowFiles:
    """Ships the workflow definition files it is given, under the plugin name ``name``."""

    def __init__(self, name: str, *paths: Path) -> None:
        self.__name__ = name
        self.paths = paths

    @hookimpl
    def zhifa_workflows(self) -> list[Path]:
        return list(self.paths)
