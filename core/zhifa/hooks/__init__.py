"""The contract between zhifa and its plugins.

- :mod:`~zhifa.hooks.specs`: every hook a plugin can implement (the docstrings are the reference,
  ``docs/hooks/``), and the ``hookspec`` / ``hookimpl`` markers;
- :mod:`~zhifa.hooks.types`: what the engine hands to guards, hooks and sinks (``Actor``,
  ``MatterView``, ``StepContext``, ``EventRecord``, ``OutboxDelivery``) and what plugins hand
  back (``Guard`` and the ``@guard`` decorator, ``ReportingSink``).

Plugin authors import these names from ``zhifa`` itself. This package imports nothing on its own,
so ``from zhifa import hookimpl`` loads only pluggy.
"""
