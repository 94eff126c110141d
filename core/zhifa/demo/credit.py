"""The supermarket's credit file (一户一档), told last: every step of its complaint, case,
publication, listing, commitment, inspection and repair became a dated credit record, and its class
is computed from them before the complaint, after the penalty, while listed, after the commitment
was checked and after the repair, each with the reasons."""

from __future__ import annotations

from datetime import date

from zhifa.credit import classify, entity_file
from zhifa.demo.narrator import Narrator
from zhifa.rules import NATIONAL_SCHEME

DAYS = (
    (date(2026, 2, 9), "the day before the complaint"),
    (date(2026, 4, 22), "the day after the penalty decision"),
    (date(2026, 7, 8), "the day after the abnormal listing"),
    (date(2026, 9, 19), "the day after the commitment was checked"),
    (date(2027, 5, 13), "the day after the credit repair"),
)


def tell_credit(s: Narrator, uscc: str) -> None:
    """Classify on three days and show the supermarket's file with its class history."""
    out, store = s.out, s.engine.store
    now = s.clock.now()
    out("")
    out("Credit — the supermarket's file and its class (internal, never published)")
    for day, what in DAYS:
        classify(store, NATIONAL_SCHEME, day, now)
        found = entity_file(store, uscc, NATIONAL_SCHEME, day, now).now
        why = "; ".join(
            f"{r['label']} ×{r['records']}"
            + (f" → {r['class']}" if "class" in r else f" {r['points']:+g}")
            for r in found.reasons
        )
        out(
            f"  {day}  class {found.credit_class} (score {found.score:g}) on {what}: {why or 'nothing on file'}"
        )
    file = entity_file(store, uscc, NATIONAL_SCHEME, DAYS[-1][0], now)
    out(
        f"  the file of {file.entity.name}: {len(file.matters)} matters, {len(file.records)} records"
    )
    for r in file.records:
        out(f"    {r.on}  {r.kind:<18} {r.summary}")
    history = ", ".join(f"{h.as_of} {h.credit_class}" for h in reversed(file.history))
    out(f"  class history: {history}; the newest is the one the next random draw takes")
