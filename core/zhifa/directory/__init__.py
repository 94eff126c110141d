"""The directory (名录库): departments (执法部门), officers (执法人员) with their dated versions,
market entities (市场主体) and the conflicts of interest officers declared with entities (回避);
importing them from files and exporting them to files.

Each kind has a frozen input dataclass whose ``parse`` turns raw values (CLI strings, CSV or .xlsx
cells) into checked, normalised ones, and functions that add, list, get and import them.

Imports read ``.csv`` (UTF-8 with or without BOM, else GB18030 as saved by Excel on Chinese
Windows) or ``.xlsx`` (the first sheet). The header row may be in English (the field names) or
Chinese (统一社会信用代码, 姓名…). Row numbers are those a spreadsheet shows: the header is row 1.
An import is all or nothing: any bad row stops it and nothing is written, unless ``skip_bad`` is
set, in which case the good rows are written and the bad ones returned. Existing keys are updated,
new ones inserted, all in one transaction. Exports write files the imports read back unchanged.

Every change to an officer is also kept as a version (:class:`~zhifa.store.tables.OfficerVersion`),
written in the same transaction and only when something changed, with the time it took effect and
what recorded it; :func:`officer_as_of` gives the record as it stood at a moment.

Objects returned by the functions here are detached from their session with every column loaded,
so they can be read after the transaction ends.

Modules (each imports its siblings directly, in this order):

- :mod:`~zhifa.directory.rows`: raw values (cells) of an input row, checking them, reading a
  .csv or .xlsx file, batches.
- :mod:`~zhifa.directory.departments`: departments: the input record, add, list, get.
- :mod:`~zhifa.directory.officers`: officers and their dated versions (``OfficerRecord``,
  ``OfficerHistory``, ``officer_as_of``): the input record, add, find, get, list.
- :mod:`~zhifa.directory.entities`: market entities: the input record, add, find, get, list,
  count, the region/industry filter.
- :mod:`~zhifa.directory.conflicts`: declared conflicts of interest: the input record, the rules,
  declare, list.
- :mod:`~zhifa.directory.importing`: importing any kind from a file (``ImportResult``,
  ``accepted_headers``), all or nothing, in batches with progress.
- :mod:`~zhifa.directory.export`: exporting entities, officers and conflicts to .csv or .xlsx.
"""

from zhifa.directory.conflicts import ConflictIn, declare_conflict, list_conflicts
from zhifa.directory.departments import (
    DepartmentIn,
    add_department,
    department_as_dict,
    get_department,
    list_departments,
)
from zhifa.directory.entities import (
    RISK_LEVELS,
    EntityIn,
    add_entity,
    count_entities,
    entity_as_dict,
    entity_filter,
    find_entity,
    get_entity,
    list_entities,
)
from zhifa.directory.export import (
    CONFLICT_COLUMNS,
    ENTITY_COLUMNS,
    EXPORT_BATCH,
    FORMATS,
    OFFICER_COLUMNS,
    ExportResult,
    export_conflicts,
    export_entities,
    export_officers,
)
from zhifa.directory.importing import (
    ImportResult,
    accepted_headers,
    import_conflicts,
    import_departments,
    import_entities,
    import_officers,
)
from zhifa.directory.officers import (
    BEFORE_HISTORY,
    CURRENT_RECORD,
    OfficerHistory,
    OfficerIn,
    OfficerRecord,
    add_officer,
    find_officer,
    get_officer,
    get_officer_history,
    list_officers,
    officer_as_dict,
    officer_as_of,
    officer_histories,
    officer_history,
)
from zhifa.directory.rows import (
    BATCH_SIZE,
    Cell,
    ProgressCallback,
    normalize_codes,
    parse_date,
    split_codes,
)

__all__ = [
    "BATCH_SIZE",
    "BEFORE_HISTORY",
    "CONFLICT_COLUMNS",
    "CURRENT_RECORD",
    "ENTITY_COLUMNS",
    "EXPORT_BATCH",
    "FORMATS",
    "OFFICER_COLUMNS",
    "RISK_LEVELS",
    "Cell",
    "ConflictIn",
    "DepartmentIn",
    "EntityIn",
    "ExportResult",
    "ImportResult",
    "OfficerHistory",
    "OfficerIn",
    "OfficerRecord",
    "ProgressCallback",
    "accepted_headers",
    "add_department",
    "add_entity",
    "add_officer",
    "count_entities",
    "declare_conflict",
    "department_as_dict",
    "entity_as_dict",
    "entity_filter",
    "export_conflicts",
    "export_entities",
    "export_officers",
    "find_entity",
    "find_officer",
    "get_department",
    "get_entity",
    "get_officer",
    "get_officer_history",
    "import_conflicts",
    "import_departments",
    "import_entities",
    "import_officers",
    "list_conflicts",
    "list_departments",
    "list_entities",
    "list_officers",
    "normalize_codes",
    "officer_as_dict",
    "officer_as_of",
    "officer_histories",
    "officer_history",
    "parse_date",
    "split_codes",
]
