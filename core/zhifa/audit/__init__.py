"""Proving the record was not rewritten.

- :mod:`~zhifa.audit.chains`: every matter's hash chain recomputed from its stored events
  (``zhifa audit verify``), naming the first broken link of each matter.

What the record shows each officer did (尽职免责 findings) is a rule of the accountability review,
in :mod:`zhifa.procedure.accountability`; a random draw is re-run by :mod:`zhifa.inspections`.
"""

from zhifa.audit.chains import AuditReport, Break, verify

__all__ = ["AuditReport", "Break", "verify"]
