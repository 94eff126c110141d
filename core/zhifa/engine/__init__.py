"""The engine: the one place a matter is opened or advanced.

``Engine.advance(matter, trigger, actor, data, at)`` runs in one transaction:

1. load the matter row and its definition version; a stale ``MatterView`` is a conflict;
2. check the actor: role, department, enforcement certificate on the step's date;
3. validate the data against the trigger's fields (all problems reported together);
4. run the definition's guards and the plugins' ``zhifa_before_transition`` (all reasons
   together), read-only and each within its plugin's time limit, collecting the effects they
   declare;
5. fire the trigger on the definition's shared ``transitions`` machine;
6. append the hashed event (with the effects), write the new state with ``version = version + 1``
   only where the version is still the one loaded (else :class:`ConflictError`), recompute the
   clocks, queue outbox messages, call ``zhifa_after_transition``;
7. commit, then deliver the outbox to reporting sinks, each within its timeout (a failing or
   timed-out sink is retried later; see :mod:`zhifa.engine.outbox`).

Reads (``load``, ``history``, ``clocks``, ``available_triggers``) never write.

Modules:

* ``facade`` — :class:`Engine`, the object callers hold, and :func:`open_and_walk`;
* ``results`` — what it takes and gives back: ``Opening``, ``StepResult``, ``TriggerOption``,
  ``DueItem``, ``DeliveryReport``;
* ``registry`` — workflow definitions by version, their compiled machines, guards, the catalogue;
* ``actors`` — officers read by id; role, department and certificate problems;
* ``checks`` — a step's context, its guards and ``zhifa_before_transition``;
* ``readonly`` — the read-only view of a step's transaction those run in;
* ``reads`` — load, history, clocks, links, lists of matters, available triggers;
* ``due`` — the due lists (running clocks and owed follow-ups) and refreshing stored deadlines;
* ``opening`` — opening one matter, or many in one transaction;
* ``stepping`` — advancing a matter by one step (steps 1–5 above);
* ``writing`` — the write of a step, shared by opening and advancing (step 6);
* ``outbox`` — queueing, claiming and delivering messages for reporting sinks, retries, workers;
* ``outbox_listing`` — the outbox as ``zhifa outbox`` lists it;
* ``statements`` — table handles, prepared SQL, id allocation, rows into views.
"""

from zhifa.engine.facade import Engine, open_and_walk
from zhifa.engine.results import DeliveryReport, DueItem, Opening, StepResult, TriggerOption
from zhifa.engine.statements import BULK_CHUNK, FOLLOWS
from zhifa.engine.stepping import RECENT_MATTERS
from zhifa.engine.writing import FUTURE_TOLERANCE

__all__ = [
    "BULK_CHUNK",
    "FOLLOWS",
    "FUTURE_TOLERANCE",
    "RECENT_MATTERS",
    "DeliveryReport",
    "DueItem",
    "Engine",
    "Opening",
    "StepResult",
    "TriggerOption",
    "open_and_walk",
]
