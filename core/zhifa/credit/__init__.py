"""Credit supervision (信用监管): the entity's credit file (一户一档) derived from the record, and
credit-risk classes computed from it, dated and explained.

- :mod:`~zhifa.credit.records`: which step becomes which credit record, and keeping the file up
  to date with the record (:func:`sync`); what a 较重行政处罚 is (:func:`heavier`, defined in
  :mod:`zhifa.procedure.serious_list`);
- :mod:`~zhifa.credit.importing`: records of other bodies, imported with their source named;
- :mod:`~zhifa.credit.classes`: classifying every entity with a scheme
  (:mod:`zhifa.rules.credit`), the stored classes and their history, one entity's class explained;
- :mod:`~zhifa.credit.file`: one entity's whole file; :mod:`~zhifa.credit.export`: as a workbook;
- :mod:`~zhifa.credit.measures`: which joint measures (:mod:`zhifa.rules.measures`) apply;
- :mod:`~zhifa.credit.report`: the credit report (信用报告) of one entity in its internal and
  public editions, written as a Word document by :mod:`~zhifa.credit.report_docx`.

A record's status after an objection or a repair (disputed, corrected, confirmed, repaired) is
read from the records of the ``credit_objection`` and ``record_repair`` workflows
(:func:`zhifa.credit.records.statuses`).
"""

from zhifa.credit.classes import Classified, Explained, Stored, classify, explain, history
from zhifa.credit.file import EntityFile, MatterLine, entity_file
from zhifa.credit.records import DERIVED, Record, derive, records_of, sync
from zhifa.procedure.serious_list import heavier

__all__ = [
    "DERIVED",
    "Classified",
    "EntityFile",
    "Explained",
    "MatterLine",
    "Record",
    "Stored",
    "classify",
    "derive",
    "entity_file",
    "explain",
    "heavier",
    "history",
    "records_of",
    "sync",
]
