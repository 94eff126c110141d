"""Whether a store requires authentication: PostgreSQL always (it is the shared, multi-user
deployment); an SQLite file when ``zhifa auth enable`` switched it on (``settings.auth = on``)."""

from __future__ import annotations

from typing import cast

import sqlalchemy as sa

from zhifa.errors import InputError
from zhifa.store import Store
from zhifa.store.tables import Credential, Officer, Setting

AUTH_KEY = "auth"


def auth_required(conn: sa.Connection) -> bool:
    if conn.dialect.name != "sqlite":
        return True
    value = conn.scalar(sa.select(Setting.value).where(Setting.key == AUTH_KEY))
    return value == "on"


def set_auth(store: Store, on: bool) -> None:
    """Switch authentication on or off for an SQLite store. Switching on needs an administrator
    with a password (so somebody can still administer the store); PostgreSQL cannot switch off.
    The caller records the act (:func:`zhifa.identity.admin.administer`) in the same breath."""
    if store.dialect != "sqlite":
        raise InputError(
            "a PostgreSQL store always requires authentication (it is the shared deployment); "
            "there is nothing to switch"
        )
    with store.transaction() as tx:
        conn = tx.connection
        if on:
            admins = conn.scalar(
                sa.select(sa.func.count())
                .select_from(Officer)
                .join(Credential, Credential.officer_id == Officer.id)
                .where(
                    Officer.roles.contains("admin"),
                    Credential.kind == "password",
                    Credential.revoked_at.is_(None),
                )
            )
            if not admins:
                raise InputError(
                    "no administrator has a password yet, so nobody could administer this store "
                    "once authentication is on; create one with `zhifa auth bootstrap` first"
                )
        table = cast(sa.Table, Setting.__table__)
        conn.execute(sa.delete(table).where(table.c.key == AUTH_KEY))
        conn.execute(sa.insert(table).values(key=AUTH_KEY, value="on" if on else "off"))
