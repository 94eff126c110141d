"""Random inspections (双随机、一公开): who is inspected, by whom, and the result made public.

双随机、一公开 ("two randoms, one public"): the entities to inspect are drawn at random from the
target directory (检查对象名录), the inspectors of each visit are drawn at random from the
inspector directory (执法检查人员名录), and the plan, the draw and the results are published.
A draw is reproducible: it is seeded from the digests of the plan and of the two directories as
frozen, and from a public random value entered after they froze (e.g. a lottery result), so
anyone holding the published record can re-run it and get the same entities and teams.

The package has two halves. The pure half works on NumPy arrays, with no database and no clock:
the same inputs always give the same draw.

* :mod:`~zhifa.inspections.directories` — the target and inspector directories frozen as arrays,
  with their canonical encoding and digest;
* :mod:`~zhifa.inspections.plan` — the plan (:class:`Plan`, :class:`PlanItem`) and its digest;
* :mod:`~zhifa.inspections.selection` — the draw: the seed, eligibility, strata and ratios, the
  entities drawn (:func:`draw`, :class:`DrawResult` and its record);
* :mod:`~zhifa.inspections.teams` — the team of every visit (the second random);
* :mod:`~zhifa.inspections.verification` — re-running a record and naming every difference
  (:func:`verify`).

The database half freezes the inputs from the database, keeps what was drawn, and publishes it.

* :mod:`~zhifa.inspections.sources` — the directories read from the database (entities,
  officers, conflicts, last inspections, random inspections this year) and the requests for
  inspection;
* :mod:`~zhifa.inspections.snapshots` — the directories frozen as snapshots, and read back;
* :mod:`~zhifa.inspections.records` — plans and draws kept in the database (a plan drawn once,
  a redraw its own recorded act), and verified again;
* :mod:`~zhifa.inspections.tasks` — a verified draw turned into inspection matters
  (:func:`create_tasks`);
* :mod:`~zhifa.inspections.publishing` — the plan, the draw, the task results and the snapshots
  as ``.xlsx`` or ``.csv`` files for the public (一公开).

:class:`InfeasibleDraw` (a draw that cannot staff some visit) lives in :mod:`zhifa.errors` and is
re-exported here.
"""

from zhifa.errors import InfeasibleDraw
from zhifa.inspections.directories import (
    EPOCH_ORDINAL,
    MAX_OFFICERS,
    MAX_SPECIALTIES,
    Inspector,
    InspectorDirectory,
    TargetDirectory,
    canonical_json,
    date_ordinals,
)
from zhifa.inspections.plan import GRACE_RULES, Plan, PlanItem
from zhifa.inspections.publishing import (
    BATCH,
    DRAW_SHEET,
    FORMATS,
    ITEM_RESULTS,
    PLAN_SHEET,
    RESULT_COLUMNS,
    RESULTS_SHEET,
    ExportResult,
    Table,
    export_draw,
    export_plan,
    export_snapshot,
    item_result,
    stratum_label,
    verdict,
)
from zhifa.inspections.records import (
    DRAFT,
    PUBLISHED,
    DrawInfo,
    PlanInfo,
    create_plan,
    current_draw,
    get_draw,
    get_plan,
    plan_draws,
    publish_plan,
    redraw,
    run_draw,
    update_plan,
    verify_draw,
)
from zhifa.inspections.selection import (
    FORMAT,
    DrawResult,
    Stratum,
    draw,
    generator,
    sample_size,
    seed_of,
)
from zhifa.inspections.snapshots import (
    INSPECTORS,
    SNAPSHOT_KINDS,
    TARGETS,
    SnapshotInfo,
    decode_inspectors,
    decode_targets,
    encode_inspectors,
    encode_targets,
    list_snapshots,
    load_snapshot,
    snapshot_info,
    take_snapshots,
)
from zhifa.inspections.sources import (
    CANCELLED,
    inspection_requests,
    inspector_directory,
    last_inspections,
    request_inspection,
    target_directory,
)
from zhifa.inspections.tasks import INSPECTION, TasksCreated, create_tasks
from zhifa.inspections.teams import (
    GAMMA,
    MIX1,
    MIX2,
    Needs,
    Visits,
    assign_teams,
    mix64,
    visit_keys,
)
from zhifa.inspections.verification import verify

__all__ = [
    "BATCH",
    "CANCELLED",
    "DRAFT",
    "DRAW_SHEET",
    "EPOCH_ORDINAL",
    "FORMAT",
    "FORMATS",
    "GAMMA",
    "GRACE_RULES",
    "INSPECTION",
    "INSPECTORS",
    "ITEM_RESULTS",
    "MAX_OFFICERS",
    "MAX_SPECIALTIES",
    "MIX1",
    "MIX2",
    "PLAN_SHEET",
    "PUBLISHED",
    "RESULTS_SHEET",
    "RESULT_COLUMNS",
    "SNAPSHOT_KINDS",
    "TARGETS",
    "DrawInfo",
    "DrawResult",
    "ExportResult",
    "InfeasibleDraw",
    "Inspector",
    "InspectorDirectory",
    "Needs",
    "Plan",
    "PlanInfo",
    "PlanItem",
    "SnapshotInfo",
    "Stratum",
    "Table",
    "TargetDirectory",
    "TasksCreated",
    "Visits",
    "assign_teams",
    "canonical_json",
    "create_plan",
    "create_tasks",
    "current_draw",
    "date_ordinals",
    "decode_inspectors",
    "decode_targets",
    "draw",
    "encode_inspectors",
    "encode_targets",
    "export_draw",
    "export_plan",
    "export_snapshot",
    "generator",
    "get_draw",
    "get_plan",
    "inspection_requests",
    "inspector_directory",
    "item_result",
    "last_inspections",
    "list_snapshots",
    "load_snapshot",
    "mix64",
    "plan_draws",
    "publish_plan",
    "redraw",
    "request_inspection",
    "run_draw",
    "sample_size",
    "seed_of",
    "snapshot_info",
    "stratum_label",
    "take_snapshots",
    "target_directory",
    "update_plan",
    "verdict",
    "verify",
    "verify_draw",
    "visit_keys",
]
