"""The lifecycle as state machines: definitions, step fields, machines and statutory deadlines.

- :mod:`~zhifa.workflow.definitions`: load a workflow YAML file and validate it against
  ``workflow.schema.json`` and the graph rules (states, triggers, roles, fields, guards, clocks);
- :mod:`~zhifa.workflow.fields`: validate and convert a step's data against its declared fields;
- :mod:`~zhifa.workflow.machine`: one shared ``transitions`` machine per definition version;
- :mod:`~zhifa.workflow.deadlines`: statutory clocks (法定期限) from a matter's steps over the
  working-day calendar.

The definitions themselves are the YAML files in ``zhifa.workflows`` (``workflows/``).
"""
