"""The policy sandbox: reforms as dated overrides of zhifa's own rules, how firms respond to the
enforcement those rules produce, and the real record replayed under a reform.

- :mod:`~zhifa.sandbox.params`: every rule value a reform may change, read from the rules as
  installed (department plugins included), with its kind, unit and legal basis;
- :mod:`~zhifa.sandbox.reform`: reforms (dated values by parameter path), checked whole,
  composed and compared;
- :mod:`~zhifa.sandbox.rules`: the rules in force on a day under a reform, as the engine's own
  objects and functions;
- :mod:`~zhifa.sandbox.theory`: the models' own solutions (the static deterrence model's closed
  form, Harrington's enforcement leverage solved as the firm's dynamic programme);
- :mod:`~zhifa.sandbox.behaviour`: the vectorised firm × period kernels the simulations run;
- :mod:`~zhifa.sandbox.population`: synthetic populations and a database's directory;
- :mod:`~zhifa.sandbox.model`: the rules-driven firm model over years;
- :mod:`~zhifa.sandbox.sweep`: reforms × replications, locally or on a Dask cluster;
- :mod:`~zhifa.sandbox.outcomes`: means with intervals, differences, tables, workbooks, plots;
- :mod:`~zhifa.sandbox.replay`: the recorded cases re-evaluated under a reform, read only.

The model, its assumptions and what it leaves out: ``docs/sandbox.md``.
"""
