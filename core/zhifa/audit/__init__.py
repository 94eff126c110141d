"""Proving the record was not rewritten.

- :mod:`~zhifa.audit.chains`: every matter's hash chain recomputed from its stored events
  (``zhifa audit verify``), naming the first broken link of each matter.
- :mod:`~zhifa.audit.checkpoints`: signed checkpoints (``zhifa audit seal``) that anchor every
  matter's head outside the database, and the record checked against them
  (``zhifa audit verify --against``), so a history rewritten with recomputed hashes is found.
- :mod:`~zhifa.audit.keys`: the Ed25519 sealing key kept outside the database.

What the record shows each officer did (尽职免责 findings) is a rule of the accountability review,
in :mod:`zhifa.procedure.accountability`; a random draw is re-run by :mod:`zhifa.inspections`.
"""

from zhifa.audit.chains import AuditReport, Break, verify
from zhifa.audit.checkpoints import Checkpoint, Finding, SealReport, seal, verify_against

__all__ = [
    "AuditReport",
    "Break",
    "Checkpoint",
    "Finding",
    "SealReport",
    "seal",
    "verify",
    "verify_against",
]
