"""The demo: a market-regulation bureau's matters from February 2026 to May 2027.

It builds reference data and walks realistic matters through every shipped workflow on simulated
time: three clues across the Spring Festival; the first becomes a penalty case, which sends a
suspected crime to the police (a transfer) and takes it back when they open no criminal case, then
goes through notice, hearing, legal review, decision, service and payment; the decision is
published, and the entity's credit repair is refused before the minimum period and approved after
it; a published random-inspection plan is drawn on the frozen directories with a lottery
result, its task becomes an inspection with the team drawn (an officer who declared a conflict is
never drawn), and the inspection marks a finding as a clue; and an accountability review (尽职免责)
follows an incident at the inspected shop. Each story shows its deadlines and the steps the rules
refuse; the demo ends by verifying the record. Everything goes through the same engine the CLI
uses, and each later matter is linked to the one it follows (``Engine.open(follows=)``).

Modules, in the order the demo uses them:

- ``bureau``: the department, its officers and entities, ``seed``, and the facts stories share.
- ``narrator``: ``Narrator``, which sets the clock, prints each step and refusal; ``clock_summary``.
- ``clues``: Clues 1–3 — the juice complaint that becomes a case, a declined report, a hand-over.
- ``case``: Case 1 — the juice case, from filing to closing, with its transfer in the middle.
- ``transfer``: Transfer 1 — the police receive the juice case and open no criminal case.
- ``unpaid_fine``: Case 2 — a spot fine left unpaid: a written demand, then the court.
- ``publication``: Publication 1 — Case 1's penalty decision published for three years.
- ``credit_repair``: the supermarket's credit repair, refused too early, then approved.
- ``inspection``: Inspection 1 from a random draw, and Clue 4 from its finding, filed as Case 3.
- ``accountability``: the accountability review after an incident at the noodle shop.
- ``runner``: ``run``, which seeds, tells the stories in this order and verifies the record.
"""

from zhifa.demo.bureau import DEPT, ENTITIES, OFFICER_NAMES, OFFICERS, seed
from zhifa.demo.narrator import clock_summary
from zhifa.demo.runner import run

__all__ = ["DEPT", "ENTITIES", "OFFICERS", "OFFICER_NAMES", "clock_summary", "run", "seed"]
