"""Schema migrations through Alembic: the only way zhifa's tables are made or changed."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from zhifa.errors import DatabaseError
from zhifa.store.database import Store, describe


def alembic_config(store: Store) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(files("zhifa.migrations")))
    cfg.set_main_option("sqlalchemy.url", store.url.replace("%", "%%"))
    return cfg


def head_revision(store: Store) -> str:
    head = ScriptDirectory.from_config(alembic_config(store)).get_current_head()
    assert head is not None, "zhifa ships at least one migration"
    return head


def current_revision(store: Store) -> str | None:
    store.ping()
    with store.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(store: Store, revision: str = "head") -> None:
    store.ping()
    cfg = alembic_config(store)
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(store: Store, revision: str = "base") -> None:
    store.ping()
    cfg = alembic_config(store)
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def require_current(store: Store) -> None:
    """Raise :class:`DatabaseError` unless the schema is at the head revision."""
    current = current_revision(store)
    head = head_revision(store)
    if current != head:
        state = "has no zhifa schema" if current is None else f"is at revision {current}"
        raise DatabaseError(
            f"the database {describe(store.url)} {state}, zhifa needs {head}; "
            f"run: zhifa db upgrade --db {describe(store.url)}"
        )
