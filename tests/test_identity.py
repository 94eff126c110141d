"""Who acts is proven (issue: trust). Passwords, login sessions and tokens; acting as another
officer; revoked, expired and forged credentials; lockout at its boundary; unauthenticated steps
marked and counted; administration needs an administrator; the access log is append-only."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import DEPT
from tests.helpers import counts, make_engine, open_clue, run, run_json
from zhifa import identity
from zhifa.audit import verify
from zhifa.errors import AuthError, InputError, LockedOut
from zhifa.identity import LOCKOUT, MAX_FAILURES
from zhifa.store import Store
from zhifa.store.tables import AccessEntry, Credential, Event
from zhifa.timekeeping import FixedClock

PASSWORD = "correct horse battery"
T0 = datetime(2026, 2, 10, 9, 0)


def _admin(store: Store, officer: str = "H1") -> None:
    identity.bootstrap(store, officer, PASSWORD)


def _log(store: Store, what: str) -> list[AccessEntry]:
    with store.read() as s:
        return list(s.scalars(sa.select(AccessEntry).where(AccessEntry.what == what)))


def _events(store: Store) -> list[Event]:
    with store.read() as s:
        return list(s.scalars(sa.select(Event).order_by(Event.id)))


def test_a_login_session_acts_for_its_officer_and_marks_the_event(bureau: Store) -> None:
    _admin(bureau, "C1")
    session = identity.login(bureau, "C1", PASSWORD, clock=FixedClock(T0))
    engine, _ = make_engine(bureau)
    engine.sign_in(session)
    m = engine.open("clue", session, {"source": "complaint", "summary": "过期食品"}).matter
    assert _events(bureau)[-1].actor_id == "C1"
    assert _events(bureau)[-1].auth == f"login#{session.credential_id}"
    assert verify(bureau).intact
    assert m.state == "received"


def test_acting_as_another_officer_without_their_credential_is_refused(bureau: Store) -> None:
    _admin(bureau, "C1")
    session = identity.login(bureau, "C1", PASSWORD)
    from zhifa.engine import Engine
    from zhifa.plugins import Plugins

    engine = Engine(bureau, plugins=Plugins(autoload=False), sessions=[session])
    m = engine.open("clue", "C1", {"source": "complaint", "summary": "过期食品"}).matter
    before = counts(bureau)
    with pytest.raises(AuthError, match="signed in as C1, not as H1"):
        engine.advance(m, "assign", "H1", {"verifiers": ["C1"]})
    # a hand-made session for H1 with C1's secret, or with a guessed credential id, proves nothing
    forged = dataclasses.replace(session, officer_id="H1")
    with pytest.raises(AuthError, match="not valid"):
        engine.advance(m, "assign", forged, {"verifiers": ["C1"]})
    guessed = dataclasses.replace(session, secret="x" * 43)
    with pytest.raises(AuthError, match="not valid"):
        engine.advance(m, "assign", guessed, {"verifiers": ["C1"]})
    assert counts(bureau) == before


def test_postgresql_refuses_an_officer_id_without_a_session(pg_url: str) -> None:
    from tests.conftest import seed_bureau
    from zhifa.engine import Engine
    from zhifa.plugins import Plugins

    store = Store(pg_url)
    seed_bureau(store)
    engine = Engine(store, plugins=Plugins(autoload=False))
    with pytest.raises(AuthError, match="requires every act to be taken by an authenticated"):
        open_clue(engine, "C1")
    assert counts(store) == (0, 0)
    store.dispose()


def test_a_revoked_session_acts_no_more_even_in_an_engine_holding_it(sqlite_bureau: Store) -> None:
    _admin(sqlite_bureau, "C1")
    session = identity.login(sqlite_bureau, "C1", PASSWORD)
    engine, _ = make_engine(sqlite_bureau)
    engine.sign_in(session)
    m = open_clue(engine, "C1")
    identity.revoke(sqlite_bureau, session.credential_id, by=session)
    before = counts(sqlite_bureau)
    with pytest.raises(AuthError, match="was revoked"):
        engine.advance(m, "withdraw", "C1", {"reason": "重复"})
    assert counts(sqlite_bureau) == before


def test_a_token_is_valid_until_the_second_before_it_expires(sqlite_bureau: Store) -> None:
    _admin(sqlite_bureau, "C1")
    login = identity.login(sqlite_bureau, "C1", PASSWORD, clock=FixedClock(T0))
    token = identity.issue_token(
        sqlite_bureau, login, label="nightly", lifetime=timedelta(days=1), clock=FixedClock(T0)
    )
    expires = T0 + timedelta(days=1)
    assert token.expires_at == expires
    last_moment = identity.from_token(
        sqlite_bureau, token.token, clock=FixedClock(expires - timedelta(seconds=1))
    )
    assert last_moment.officer_id == "C1" and last_moment.mark == f"token#{token.credential_id}"
    with pytest.raises(AuthError, match="expired"):
        identity.from_token(sqlite_bureau, token.token, clock=FixedClock(expires))
    assert [e.what for e in _log(sqlite_bureau, "token_refused")] == ["token_refused"]
    # and the engine's clock is what counts for a step
    engine, clock = make_engine(sqlite_bureau, at=expires - timedelta(minutes=1))
    engine.sign_in(token)
    m = open_clue(engine, "C1")
    clock.set(expires)
    with pytest.raises(AuthError, match="expired"):
        engine.advance(m, "withdraw", "C1", {"reason": "重复"})


def test_a_wrong_token_text_is_one_sentence() -> None:
    from zhifa.identity.secrets import parse_token

    with pytest.raises(AuthError, match="not a zhifa token"):
        parse_token("Bearer abc")


def test_lockout_after_repeated_failures_lasts_until_its_end(sqlite_bureau: Store) -> None:
    _admin(sqlite_bureau, "C1")
    clock = FixedClock(T0)
    for n in range(1, MAX_FAILURES):
        with pytest.raises(AuthError, match=f"{n} of {MAX_FAILURES}"):
            identity.login(sqlite_bureau, "C1", "wrong password!", clock=clock)
    # the right password after MAX_FAILURES - 1 failures still logs in ...
    identity.login(sqlite_bureau, "C1", PASSWORD, clock=clock)
    # ... and resets the count; MAX_FAILURES failures in a row lock the officer out
    for _ in range(MAX_FAILURES):
        with pytest.raises(AuthError):
            identity.login(sqlite_bureau, "C1", "wrong password!", clock=clock)
    assert len(_log(sqlite_bureau, "locked")) == 1
    clock.set(T0 + LOCKOUT - timedelta(seconds=1))
    with pytest.raises(LockedOut, match="locked out"):
        identity.login(sqlite_bureau, "C1", PASSWORD, clock=clock)
    clock.set(T0 + LOCKOUT)
    assert identity.login(sqlite_bureau, "C1", PASSWORD, clock=clock).officer_id == "C1"
    assert len(_log(sqlite_bureau, "login_failed")) == 2 * MAX_FAILURES - 1
    assert len(_log(sqlite_bureau, "login_refused_locked")) == 1


def test_an_unknown_officer_and_a_wrong_password_get_the_same_sentence(
    sqlite_bureau: Store,
) -> None:
    _admin(sqlite_bureau, "C1")
    with pytest.raises(AuthError, match="wrong officer id or password") as unknown:
        identity.login(sqlite_bureau, "NOBODY", PASSWORD)
    with pytest.raises(AuthError, match="wrong officer id or password") as wrong:
        identity.login(sqlite_bureau, "C2", PASSWORD)  # C2 has no password at all
    assert unknown.value.message.replace("NOBODY", "X") == wrong.value.message.replace("C2", "X")


def test_passwords_are_stored_as_argon2_and_tokens_as_hashes(sqlite_bureau: Store) -> None:
    _admin(sqlite_bureau, "C1")
    login = identity.login(sqlite_bureau, "C1", PASSWORD)
    with sqlite_bureau.read() as s:
        rows = {c.kind: c.secret_hash for c in s.scalars(sa.select(Credential))}
    assert rows["password"].startswith("$argon2id$") and PASSWORD not in rows["password"]
    assert login.secret not in rows["session"] and len(rows["session"]) == 64


@pytest.mark.parametrize(("length", "ok"), [(9, False), (10, True)])
def test_a_password_has_at_least_ten_characters(
    sqlite_bureau: Store, length: int, ok: bool
) -> None:
    if ok:
        identity.set_password(sqlite_bureau, "C1", "p" * length, by=None)
        assert identity.login(sqlite_bureau, "C1", "p" * length).officer_id == "C1"
    else:
        with pytest.raises(InputError, match="at least 10"):
            identity.set_password(sqlite_bureau, "C1", "p" * length, by=None)


def test_unauthenticated_steps_are_marked_and_counted(
    sqlite_bureau: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    engine, _ = make_engine(sqlite_bureau)
    open_clue(engine, "C1")
    assert _events(sqlite_bureau)[-1].auth == "none"
    report = verify(sqlite_bureau)
    assert report.intact and report.unauthenticated == 1
    code, out, _ = run(capsys, "audit", "verify", "--db", sqlite_bureau.url)
    assert code == 0 and "1 taken without authentication" in out
    # the mark is hashed: turning "none" into a token's mark breaks the chain
    with sqlite_bureau.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER events_no_update")
        conn.exec_driver_sql("UPDATE events SET auth = 'token#1'")
    assert not verify(sqlite_bureau).intact


def test_enabling_auth_on_sqlite_needs_an_administrator_then_binds_every_step(
    sqlite_bureau: Store,
) -> None:
    with pytest.raises(InputError, match="no administrator has a password"):
        identity.set_auth(sqlite_bureau, True)
    _admin(sqlite_bureau)
    identity.set_auth(sqlite_bureau, True)
    engine, _ = make_engine(sqlite_bureau)
    with pytest.raises(AuthError, match="requires every act"):
        open_clue(engine, "C1")
    assert counts(sqlite_bureau) == (0, 0)


def test_bootstrap_needs_the_database_owner(pg_url: str) -> None:
    """The application's role (no DDL, not the owner) cannot make itself an administrator."""
    from tests.conftest import seed_bureau

    owner = Store(pg_url)
    seed_bureau(owner)
    role = "zhifa_app_id_test"
    with owner.engine.begin() as conn:
        conn.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
        conn.exec_driver_sql(
            f"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO {role}"
        )
        conn.exec_driver_sql(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}")
    app_url = sa.make_url(pg_url).set(username=role).render_as_string(hide_password=False)
    app = Store(app_url)
    try:
        with pytest.raises(AuthError, match="only the database owner"):
            identity.bootstrap(app, "C1", PASSWORD)
        identity.bootstrap(owner, "C1", PASSWORD)
        assert identity.login(app, "C1", PASSWORD).officer_id == "C1"
        # the access log cannot be rewritten by the application's role
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), app.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE access_log SET what = 'login'")
    finally:
        app.dispose()
        with owner.engine.begin() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")
        owner.dispose()


def test_the_access_log_is_append_only_on_sqlite(sqlite_bureau: Store) -> None:
    _admin(sqlite_bureau)
    for sql in ("UPDATE access_log SET what = 'login'", "DELETE FROM access_log"):
        with (
            pytest.raises(sa.exc.DBAPIError, match="append-only"),
            sqlite_bureau.engine.begin() as c,
        ):
            c.exec_driver_sql(sql)


# -- the CLI -------------------------------------------------------------------------------------


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "config"
    monkeypatch.setenv("ZHIFA_CONFIG_DIR", str(where))
    monkeypatch.delenv("ZHIFA_TOKEN", raising=False)
    return where


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(text + "\n"))


def test_cli_login_then_act_without_actor_then_logout(
    db: str, config_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(db)
    _admin(store, "C1")
    identity.set_auth(store, True)
    store.dispose()
    _stdin(monkeypatch, PASSWORD)
    login = run_json(capsys, "login", "--officer", "C1", "--password-stdin", "--db", db)
    tokens = config_dir / "tokens.json"
    assert login["officer"] == "C1" and tokens.exists()
    assert tokens.stat().st_mode & 0o777 == 0o600
    opened = run_json(
        capsys,
        "matter",
        "open",
        "clue",
        "--data",
        '{"source": "complaint", "summary": "过期食品"}',
        "--db",
        db,
    )
    assert opened["event"]["actor_id"] == "C1"
    assert opened["event"]["auth"] == f"login#{login['credential']}"
    # signed in as C1, acting as H1 is refused with one sentence and exit 3
    code, _, err = run(
        capsys,
        "matter",
        "advance",
        str(opened["matter"]["id"]),
        "assign",
        "--actor",
        "H1",
        "--field",
        "verifiers=C1",
        "--db",
        db,
    )
    assert code == 3 and "not as H1" in err and "Traceback" not in err
    assert run(capsys, "logout", "--db", db)[0] == 0
    code, _, err = run(
        capsys,
        "matter",
        "open",
        "clue",
        "--actor",
        "C1",
        "--data",
        '{"source": "complaint", "summary": "x"}',
        "--db",
        db,
    )
    assert code == 3 and "requires every act" in err


def test_a_revoked_token_in_the_environment_is_refused_before_anything_runs(
    db: str, config_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(db)
    _admin(store, "C1")
    session = identity.login(store, "C1", PASSWORD)
    identity.revoke(store, session.credential_id, by=session)
    store.dispose()
    monkeypatch.setenv("ZHIFA_TOKEN", session.token)
    code, _, err = run(
        capsys,
        "matter",
        "open",
        "clue",
        "--data",
        '{"source": "complaint", "summary": "x"}',
        "--db",
        db,
    )
    assert code == 3 and "was revoked" in err
    store = Store(db)
    assert counts(store) == (0, 0)
    store.dispose()


def test_administration_needs_an_administrator_where_auth_is_on(
    db: str, config_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(db)
    _admin(store, "H1")
    identity.set_password(store, "C1", PASSWORD, by=None)
    identity.set_auth(store, True)
    store.dispose()
    add = ("officer", "add", "C9", "--name", "新人", "--dept", DEPT, "--roles", "head,admin")
    code, _, err = run(capsys, *add, "--db", db)
    assert code == 3 and "logged in as an administrator" in err
    _stdin(monkeypatch, PASSWORD)
    run_json(capsys, "login", "--officer", "C1", "--password-stdin", "--db", db)
    code, _, err = run(capsys, *add, "--db", db)
    assert code == 3 and "does not hold the admin role" in err
    code, _, err = run(capsys, "dept", "add", "HZGS", "工商", "--region", "330100", "--db", db)
    assert code == 3
    _stdin(monkeypatch, PASSWORD)
    run_json(capsys, "login", "--officer", "H1", "--password-stdin", "--db", db)
    assert run(capsys, *add, "--db", db)[0] == 0
    entries = run_json(capsys, "auth", "log", "--what", "admin", "--db", db)
    assert entries[0]["by"] == "H1" and "add officer C9" in entries[0]["detail"]
    assert entries[0]["auth"].startswith("login#")


def test_cli_bad_password_is_one_sentence_and_exit_3(
    db: str, config_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(db)
    _admin(store, "C1")
    store.dispose()
    _stdin(monkeypatch, "not the password")
    code, _, err = run(capsys, "login", "--officer", "C1", "--password-stdin", "--db", db)
    assert (
        code == 3
        and "wrong officer id or password" in err
        and not (config_dir / "tokens.json").exists()
    )
