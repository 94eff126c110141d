"""Plugins the tests load (``Plugins([...], autoload=False)`` or ``tests.helpers.make_engine``),
each a small class implementing one or two hooks of ``zhifa.hooks.specs``:

* ``department.DepartmentPlugin`` — ``zhifa_workflows`` and ``zhifa_guards``: the ``sampling``
  workflow (``SAMPLING_WORKFLOW``) and the ``sample_kept`` guard it requires;
* ``department.WorkflowFiles`` — ``zhifa_workflows``: the definition files it is given;
* ``steps.Veto`` — ``zhifa_before_transition``: refuses one trigger (or every step) with a reason;
* ``steps.NotingPlugin`` — ``zhifa_after_transition``: adds a row per step through the step's
  session, and can fail on one trigger;
* ``sinks.SinkPlugin`` — ``zhifa_reporting_sinks``: loads ``sinks.RecordingSink`` (records the
  clue's opening and assignment, can fail first) or ``sinks.SlowSink`` (past its timeout);
* ``holidays.LocalHoliday`` — ``zhifa_calendar_additions``: local holidays and working days;
* ``catalogue.Catalogue`` — ``zhifa_violations`` and ``zhifa_checklists``: the entries and items
  it is given (``ART_124``, ``entry``, ``OLD``, ``ITEM``);
* ``sampling.CountyPolicy`` — ``zhifa_sampling_policy``: HZXH's own policy, None for the others;
  ``sampling.NoPolicy`` answers None for every department;
* ``commands.CountyReport`` — ``zhifa_cli``: adds the ``county-report`` command.

Plugins a single test builds to misbehave stay in that test's file (``RaisingPlugin`` and
``AfterPlugin`` raising in a step, ``Changed`` redefining a workflow, in ``test_engine.py``), as do
the plugins installed as real distributions from source text (``test_cli.py``,
``test_cli_discretion.py``, ``test_sampling_and_cli_hooks.py``).
"""
