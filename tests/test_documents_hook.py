"""Department templates from plugins (``zhifa_document_templates``): used for the department that
gives them only; a template that fails to render refuses the step, writes nothing and uses no
number; a plugin answering with something else than templates is named."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import docx
import pytest
import sqlalchemy as sa

from tests.conftest import DEPT, ENTITY, OTHER_DEPT
from tests.helpers import counts, make_engine
from tests.plugins.documents import OWN_TEXT, OwnTemplates, filing_template, write_template
from tests.test_documents import OPEN_DATA, counter, seed_other_department
from zhifa.documents import issued
from zhifa.engine import Engine
from zhifa.errors import PluginError
from zhifa.store import Store
from zhifa.store.tables import Document

NOW = datetime(2026, 3, 2, 9, 0)


def open_case(engine: Engine, actor: str = "H1", handlers: tuple[str, str] = ("C1", "C2")) -> int:
    data = {**OPEN_DATA, "handlers": list(handlers)}
    return engine.open("case", actor, data, NOW, entity=ENTITY).matter.id


def text_of(engine: Engine, matter_id: int) -> tuple[str | None, str]:
    with engine.store.engine.connect() as conn:
        (doc,) = issued(conn, matter_id)
    data = engine.evidence.get(doc.sha256)
    return doc.number, "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)


def test_a_departments_template_is_its_own(bureau: Store, tmp_path: Path) -> None:
    seed_other_department(bureau)
    plugin = OwnTemplates(DEPT, {"filing_approval": filing_template(tmp_path)})
    engine, _ = make_engine(bureau, plugin, at=NOW)
    number, text = text_of(engine, open_case(engine))
    assert number == "西湖区市监立案〔2026〕1号"  # its own number word
    assert text.splitlines() == [OWN_TEXT, number, "当事人：某食品有限公司", "承办人员：李明王芳"]
    number, text = text_of(engine, open_case(engine, "X1", ("Y1", "Y2")))
    assert number == "上城区市监立〔2026〕1号"  # the other department: the shipped template
    assert OWN_TEXT not in text and "立案审批表" in text
    assert sorted(set(plugin.asked)) == [OTHER_DEPT, DEPT]


def test_a_template_that_fails_to_render_refuses_the_step(bureau: Store, tmp_path: Path) -> None:
    broken = write_template(tmp_path / "broken.docx", "{{ number }}", "{% if party.name %}未闭合")
    engine, _ = make_engine(bureau, OwnTemplates(DEPT, {"filing_approval": broken}), at=NOW)
    before = counts(bureau)
    with pytest.raises(PluginError) as err:
        open_case(engine)
    message = err.value.message
    assert "立案审批表 template of department HZXH" in message and "'own-templates'" in message
    assert "nothing was written and no number was used" in message
    assert counts(bureau) == before
    assert counter(bureau, DEPT, 2026, "filing_approval") is None
    with bureau.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Document)) == 0
    fixed, _ = make_engine(bureau, at=NOW)
    assert text_of(fixed, open_case(fixed))[0] == "西湖区市监立〔2026〕1号"


@pytest.mark.parametrize(
    ("templates", "fault"),
    [
        ({"no_such_kind": "x.docx"}, "no document kind 'no_such_kind'"),
        ({"filing_approval": 42}, "returned int for a kind"),
        ({"filing_approval": "missing.docx"}, "no .docx file at missing.docx"),
    ],
)
def test_a_plugin_giving_no_template_is_named(
    sqlite_bureau: Store, templates: dict[str, object], fault: str
) -> None:
    engine, _ = make_engine(sqlite_bureau, OwnTemplates(DEPT, templates), at=NOW)
    with pytest.raises(PluginError, match="own-templates") as err:
        open_case(engine)
    assert fault in err.value.message
    assert counts(sqlite_bureau) == (0, 0)


def test_a_number_word_with_digits_is_refused(sqlite_bureau: Store, tmp_path: Path) -> None:
    plugin = OwnTemplates(DEPT, {"filing_approval": filing_template(tmp_path, word="立2")})
    engine, _ = make_engine(sqlite_bureau, plugin, at=NOW)
    with pytest.raises(PluginError, match="'立2' is not a number word"):
        open_case(engine)
