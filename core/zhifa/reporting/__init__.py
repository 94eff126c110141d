"""Reporting sinks: where facts of the record are delivered after their step commits.

- :mod:`~zhifa.reporting.publicity`: the 双公示 publicity sink, penalty decisions as CSV and JSON
  records for the credit information publicity platform (``$ZHIFA_PUBLICITY_DIR``).

Delivery itself (at least once, idempotent keys, retries) is the engine's outbox.
"""

from zhifa.reporting.publicity import PublicitySink

__all__ = ["PublicitySink"]
