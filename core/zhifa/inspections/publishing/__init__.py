"""Publishing random inspections (双随机、一公开): the plan, the draw and the results of its tasks,
and the frozen directories a draw was made from, as ``.xlsx`` workbooks or ``.csv`` files.

**Tables.** A draw is published as three tables: *抽查计划* (the plan: year, departments, items,
ratios, exemptions, caps, the rule for new businesses, the inspection date, the plan's digest and
the day it was published), *抽查过程* (the draw: public value, seed, the two snapshots with their
digests and dates, the directory's size, the entities each rule left out, the strata with their
eligible entities, ratio and drawn count, and how anyone re-runs it: ``zhifa draw verify ID``) and
*抽查结果* (one row per task, see below). A plan alone (before its draw) is the first table; a
target snapshot is one table of entities, an inspector snapshot two (the officers, then the
declared conflicts and last inspections).

**Results.** One row per task of the draw (``draw_tasks``), by visit then department: the entity,
the department, the visit (the tasks of one joint visit share it), the items, the inspectors on
site with their enforcement certificate numbers as of the inspection (none before the inspection
starts: a team known in advance could be approached),
the inspection date (the ``start`` step), the result of each item and the overall result in
Chinese, whether and when it was published and whether on time (``publish``: in time,
``publish_late``: late), and the correction the head signed off, if any. A result is public only
once published: a task not yet published shows its state (未公示) and no results. After a signed-off
correction the corrected results are shown; a correction awaiting sign-off changes nothing. Notes
written against items are not published (they may name people); the results are the structured
codes of :data:`zhifa.procedure.inspection.RESULTS`, worded as :data:`ITEM_RESULTS`.

The results are read in bulk — the tasks in one query, the events of all of them in one streamed
query (:data:`BATCH` rows at a time), the officers and their recorded versions in batches — never
one task at a time, so a draw of 50,000 tasks exports in one pass.

**Files.** They are written by :mod:`zhifa.tabular`; the suffix chooses the format. ``.xlsx``:
one workbook, one sheet per table, a bold header row kept in view; text is always stored as text
(a name beginning with ``=`` is never a formula) and loses the control characters .xlsx cannot
hold. ``.csv``: UTF-8 with a byte-order mark and CRLF line ends, one file per table — the file
itself when there is one table, else ``STEM-SLUG.csv`` beside it for each (a draw: ``-plan``,
``-draw``, ``-results``; an inspector snapshot: ``-inspectors``, ``-conflicts``); a text cell
of any column beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
leading ``'`` so no spreadsheet runs it as a formula (:func:`zhifa.tabular.escape_formula`, the
rule of every file for the public; numbers are not text and stay as they are). Any other suffix,
a missing folder, or an existing file without ``force`` is :class:`~zhifa.errors.InputError`
before anything is read or written. Each file is written beside its target under a temporary
name and renamed into place at the end, so a failed export leaves no file behind.

**Modules.**

* :mod:`~zhifa.inspections.publishing.plan_export` — the plan: the table 抽查计划,
  :func:`export_plan`;
* :mod:`~zhifa.inspections.publishing.draw_export` — the draw: the table 抽查过程 and
  :func:`export_draw` (the plan, the process and the results);
* :mod:`~zhifa.inspections.publishing.task_results` — the table 抽查结果: each task's events
  folded, the results worded (:func:`item_result`, :func:`verdict`);
* :mod:`~zhifa.inspections.publishing.snapshot_export` — the frozen directories:
  :func:`export_snapshot`;
* :mod:`~zhifa.inspections.publishing._common` — what they share: the batch size, the sheet
  names, the wording, the officers as of a moment, the file writer.
"""

from zhifa.inspections.publishing._common import (
    BATCH,
    DRAW_SHEET,
    FORMATS,
    INFO_COLUMNS,
    PLAN_SHEET,
    RESULTS_SHEET,
    stratum_label,
)
from zhifa.inspections.publishing.draw_export import export_draw
from zhifa.inspections.publishing.plan_export import export_plan
from zhifa.inspections.publishing.snapshot_export import export_snapshot
from zhifa.inspections.publishing.task_results import (
    ITEM_RESULTS,
    NOTHING_TO_CHECK,
    RESULT_COLUMNS,
    item_result,
    verdict,
)
from zhifa.tabular import ExportResult, Table

__all__ = [
    "BATCH",
    "DRAW_SHEET",
    "FORMATS",
    "INFO_COLUMNS",
    "ITEM_RESULTS",
    "NOTHING_TO_CHECK",
    "PLAN_SHEET",
    "RESULTS_SHEET",
    "RESULT_COLUMNS",
    "ExportResult",
    "Table",
    "export_draw",
    "export_plan",
    "export_snapshot",
    "item_result",
    "stratum_label",
    "verdict",
]
