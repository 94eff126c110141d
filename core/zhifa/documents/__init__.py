"""Enforcement documents (执法文书): the kinds zhifa issues, their gap-free numbers (文号), the
templates they are rendered from, and the register of what was issued.

A step that issues documents (a penalty decision, a hearing notice, a 催告书…) issues them in its
own transaction: each numbered kind takes the next number of its department, year and kind under
a row lock, the .docx is rendered from the department's template, kept in the evidence store by
its SHA-256 and recorded in the step's hashed event. A step that does not commit uses no number.

Modules:

* :mod:`~zhifa.documents.kinds` — :data:`KINDS` and the steps that issue each;
* :mod:`~zhifa.documents.numbers` — numbers, prefixes, allocation under a row lock;
* :mod:`~zhifa.documents.build` — the builder of the shipped templates (``templates/*.docx``);
* :mod:`~zhifa.documents.render` — the context a template is filled with, and rendering;
* :mod:`~zhifa.documents.issuing` — :class:`Issuer`, which the engine's step writer calls;
* :mod:`~zhifa.documents.register` — :func:`issued`, :func:`find`, :func:`search`.

For the desk and scripts::

    from zhifa.documents import KINDS, issued, find
    with engine.store.engine.connect() as conn:
        for doc in issued(conn, matter_id):
            data = engine.evidence.get(doc.sha256)   # the exact bytes the event's hash covers
"""

from __future__ import annotations

from zhifa.documents.drafts import draft
from zhifa.documents.issuing import Issuer, file_name
from zhifa.documents.kinds import KINDS, DocumentTemplate, Issue, Kind, issued_at
from zhifa.documents.numbers import default_prefix, number_text, prefix, set_prefix
from zhifa.documents.register import IssuedDocument, find, issued, may_read, search
from zhifa.documents.render import REVIEW_DAYS, yuan_in_words

__all__ = [
    "KINDS",
    "REVIEW_DAYS",
    "DocumentTemplate",
    "Issue",
    "IssuedDocument",
    "Issuer",
    "Kind",
    "default_prefix",
    "draft",
    "file_name",
    "find",
    "issued",
    "issued_at",
    "may_read",
    "number_text",
    "prefix",
    "search",
    "set_prefix",
    "yuan_in_words",
]
