"""The accountability review (尽职免责 / 失职问责) after an incident at a market entity.

- :mod:`~zhifa.procedure.accountability.findings`: what the record shows each officer did for the
  entity in the review window (exemption grounds it supports, misconduct flags);
- :mod:`~zhifa.procedure.accountability.guards`: the review's rules: its window, the reviewers'
  independence, and conclusions that the record does not contradict.
"""

from __future__ import annotations

from zhifa.hooks.types import guards_in
from zhifa.procedure.accountability import guards
from zhifa.procedure.accountability.findings import (
    BASIS,
    EXEMPTION_GROUNDS,
    REVIEW_WORKFLOW,
    Findings,
    OfficerFindings,
    StepSeen,
    gather,
)
from zhifa.procedure.accountability.guards import findings_for

GUARDS = guards_in(guards)
"""The review's guards, for the baseline plugin."""

__all__ = [
    "BASIS",
    "EXEMPTION_GROUNDS",
    "GUARDS",
    "REVIEW_WORKFLOW",
    "Findings",
    "OfficerFindings",
    "StepSeen",
    "findings_for",
    "gather",
]
