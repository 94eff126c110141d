"""Fixtures for testing a zhifa plugin with pytest (registered as the pytest plugin ``zhifa``).

Installed with zhifa, they are available in every test without an import. A plugin's own
``conftest.py`` names the plugin under test by overriding ``zhifa_plugin``::

    import pytest
    from zhifa_market import plugin

    @pytest.fixture
    def zhifa_plugin():
        return plugin

Then a test asks for what it needs::

    def test_a_fine_at_the_top_of_the_range(zhifa_engine, zhifa_officers, zhifa_entity):
        case = zhifa_engine.open("case", zhifa_officers["head"], {...}, entity=zhifa_entity)

* ``zhifa_clock`` — a :class:`~zhifa.timekeeping.FixedClock` at 09:00 on Monday 2 March 2026 (Beijing
  time); move it with ``.set()`` or ``.advance()``;
* ``zhifa_store`` — a fresh SQLite database in the test's temporary directory, migrated;
* ``zhifa_plugins`` — the baseline procedure and ``zhifa_plugin`` (entry points are not loaded,
  so other installed plugins stay out of the test);
* ``zhifa_department`` — the code of a department added to the store (``ZF0001``, region 330106);
* ``zhifa_officers`` — officers of that department with enforcement certificates valid
  2024–2030, by role: ``head``, ``principal_head``, ``case_handler``, ``case_handler_2``,
  ``inspector``, ``inspector_2``, ``legal_reviewer`` → officer id;
* ``zhifa_entity`` — the USCC of a market entity added to the store;
* ``zhifa_engine`` — an :class:`~zhifa.engine.Engine` on all of the above.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from zhifa import directory
from zhifa.engine import Engine
from zhifa.plugins import Plugins
from zhifa.store import Store, migrate
from zhifa.timekeeping import FixedClock

START = datetime(2026, 3, 2, 9, 0)  # Beijing time, as the engine records it
DEPARTMENT = "ZF0001"
ENTITY = "91330106MA2B3C4D5D"
CERTIFICATE = (date(2024, 1, 1), date(2030, 12, 31))
OFFICERS = {
    "principal_head": ("ZF-000", "刘局长", "principal_head,head"),
    "head": ("ZF-001", "陈副局长", "head"),
    "case_handler": ("ZF-011", "李明", "case_handler,inspector"),
    "case_handler_2": ("ZF-012", "王芳", "case_handler,inspector"),
    "inspector": ("ZF-013", "张伟", "inspector,case_handler"),
    "inspector_2": ("ZF-014", "赵敏", "inspector,case_handler"),
    "legal_reviewer": ("ZF-021", "周审核", "legal_reviewer"),
}


@pytest.fixture
def zhifa_plugin() -> object | None:
    """The plugin under test (a module or object with ``@zhifa.hookimpl`` functions); override
    it in the plugin's conftest.py. None: only the baseline procedure."""
    return None


@pytest.fixture
def zhifa_clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def zhifa_store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'zhifa-test.db'}")
    migrate.upgrade(store)
    yield store
    store.dispose()


@pytest.fixture
def zhifa_plugins(zhifa_plugin: object | None) -> Plugins:
    return Plugins([] if zhifa_plugin is None else [zhifa_plugin], autoload=False)


@pytest.fixture
def zhifa_department(zhifa_store: Store) -> str:
    directory.add_department(
        zhifa_store, code=DEPARTMENT, name="测试区市场监督管理局", region_code="330106"
    )
    return DEPARTMENT


@pytest.fixture
def zhifa_officers(zhifa_store: Store, zhifa_department: str) -> dict[str, str]:
    for oid, name, roles in OFFICERS.values():
        directory.add_officer(
            zhifa_store,
            id=oid,
            name=name,
            department=zhifa_department,
            roles=roles,
            certificate_no=f"ZJ{oid[-3:]}000{oid[-3:]}",
            certificate_valid_from=CERTIFICATE[0].isoformat(),
            certificate_valid_to=CERTIFICATE[1].isoformat(),
        )
    return {role: oid for role, (oid, _, _) in OFFICERS.items()}


@pytest.fixture
def zhifa_entity(zhifa_store: Store) -> str:
    entity = directory.add_entity(
        zhifa_store,
        uscc=ENTITY,
        name="测试食品有限公司",
        kind="企业",
        region_code="330106",
        industry="食品销售",
        credit_class="B",
        risk_level="medium",
    )
    return entity.uscc


@pytest.fixture
def zhifa_engine(
    zhifa_store: Store,
    zhifa_plugins: Plugins,
    zhifa_clock: FixedClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Engine:
    """The engine; the baseline's publicity sink writes into the test's temporary directory."""
    monkeypatch.setenv("ZHIFA_PUBLICITY_DIR", str(tmp_path / "publicity"))
    return Engine(zhifa_store, plugins=zhifa_plugins, clock=zhifa_clock)
