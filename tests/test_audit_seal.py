"""Signed checkpoints catch a history rewritten so that its hash chains still verify.

Each attack is done as someone with write access to the database: the append-only triggers are
dropped first, then rows are edited and every hash recomputed. Plain `audit verify` passes (which
is why the seal is needed); `audit verify --against` names the matter.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.helpers import drop_record_triggers, make_engine, run
from zhifa.audit import seal, verify, verify_against
from zhifa.audit.checkpoints import merkle_root
from zhifa.audit.keys import generate, load_private, load_public
from zhifa.engine import Engine
from zhifa.record import event_hash
from zhifa.store import Store
from zhifa.store.tables import Event

EVENTS: Any = Event.__table__


def _walk(engine: Engine) -> tuple[int, int]:
    """Matter a: three events; matter b: two."""
    from tests.helpers import open_clue

    a = open_clue(engine)
    a = engine.advance(a, "assign", "H1", {"verifiers": ["C1"]}).matter
    engine.advance(a, "start_testing", "C1", {"kind": "testing", "body": "检验院"})
    b = open_clue(engine)
    engine.advance(b, "hand_over", "H1", {"to_department": "x", "reason": "y"})
    return a.id, b.id


@pytest.fixture
def sealed(bureau: Store, tmp_path: Path) -> tuple[Store, Engine, int, int, Path, Path]:
    engine, _ = make_engine(bureau)
    a, b = _walk(engine)
    key = tmp_path / "seal.key"
    generate(key)
    out = tmp_path / "checkpoints"
    seal(bureau, out, load_private(key))
    return bureau, engine, a, b, out, key.with_name("seal.key.pub")


def _rehash(conn: sa.Connection, matter_id: int, start: int) -> None:
    """Recompute every hash of the matter from event ``start`` on, and the matter row's head."""
    rows = conn.execute(
        sa.select(EVENTS).where(EVENTS.c.matter_id == matter_id).order_by(EVENTS.c.seq)
    ).all()
    prev = rows[start - 2].hash if start > 1 else "0" * 64
    for r in rows[start - 1 :]:
        fields = {
            c: getattr(r, c)
            for c in (
                "matter_id",
                "seq",
                "trigger",
                "from_state",
                "to_state",
                "actor_id",
                "occurred_at",
                "recorded_at",
                "data",
                "evidence",
                "auth",
            )
        }
        h = event_hash(**fields, prev_hash=prev)
        conn.execute(sa.update(EVENTS).where(EVENTS.c.id == r.id).values(prev_hash=prev, hash=h))
        prev = h
    last = rows[-1]
    conn.execute(
        sa.text("UPDATE matters SET head_hash = :h, version = :v, state = :s WHERE id = :m"),
        {"h": prev, "v": last.seq, "s": last.to_state, "m": matter_id},
    )


def truncate(conn: sa.Connection, a: int, b: int) -> int:
    """(a) delete the last event and roll the matter row back."""
    conn.execute(sa.text("DELETE FROM events WHERE matter_id = :m AND seq = 3"), {"m": a})
    _rehash(conn, a, 3)
    return a


def forge_last(conn: sa.Connection, a: int, b: int) -> int:
    """(b) replace the last sealed event with a forged one, its hash correctly recomputed."""
    old = (
        conn.execute(sa.select(EVENTS).where(EVENTS.c.matter_id == a, EVENTS.c.seq == 3))
        .one()
        ._asdict()
    )
    conn.execute(sa.delete(EVENTS).where(EVENTS.c.id == old.pop("id")))
    old["data"] = '{"body":"伪造","kind":"testing"}'
    conn.execute(sa.insert(EVENTS).values(**old))
    _rehash(conn, a, 3)
    return a


def rewrite(conn: sa.Connection, a: int, b: int) -> int:
    """(c) rewrite an earlier event's data and recompute every hash after it."""
    conn.execute(
        sa.text("UPDATE events SET data = :d WHERE matter_id = :m AND seq = 2"),
        {"d": '{"verifiers":["C2"]}', "m": a},
    )
    _rehash(conn, a, 2)
    return a


def delete_matter(conn: sa.Connection, a: int, b: int) -> int:
    """(d) delete a whole matter with its events and clocks."""
    for sql in (
        "DELETE FROM clocks WHERE matter_id = :m",
        "DELETE FROM matter_links WHERE source_id = :m OR target_id = :m",
        "DELETE FROM events WHERE matter_id = :m",
        "DELETE FROM matters WHERE id = :m",
    ):
        conn.execute(sa.text(sql), {"m": b})
    return b


@pytest.mark.parametrize(
    ("attack", "fragment"),
    [
        (truncate, "now records only 2 events"),
        (forge_last, "its event 3 now hashes to"),
        (rewrite, "its event 3 now hashes to"),
        (delete_matter, "no longer exists"),
    ],
    ids=["truncate", "forge-last", "rewrite", "delete-matter"],
)
def test_a_rewrite_that_passes_the_chains_fails_the_checkpoint(
    sealed: tuple[Store, Engine, int, int, Path, Path],
    attack: Any,
    fragment: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store, _, a, b, out, pub = sealed
    with store.engine.begin() as conn:
        drop_record_triggers(store, conn)
        victim = attack(conn, a, b)
    assert verify(store).intact  # the chains alone cannot see it
    report = verify_against(store, out, load_public(pub))
    assert not report.intact and report.chains.intact
    assert [f.matter_id for f in report.findings] == [victim]
    assert f"matter {victim} was sealed at version" in report.findings[0].reason
    assert fragment in report.findings[0].reason
    code, out_text, err = run(
        capsys,
        "audit",
        "verify",
        "--db",
        store.url,
        "--against",
        str(out),
        "--public-key",
        str(pub),
    )
    assert code == 1 and f"matter {victim} was sealed" in err + out_text
    assert run(capsys, "audit", "verify", "--db", store.url)[0] == 0
    # and a seal is refused over the rewritten history: the department's key never covers it
    with pytest.raises(Exception, match="refusing to seal"):
        seal(store, out, load_private(pub.with_suffix("")))


def test_an_event_appended_after_the_seal_is_not_covered_but_sealed_history_is(
    sealed: tuple[Store, Engine, int, int, Path, Path],
) -> None:
    """A forged step after the seal is a new event: the checkpoint does not cover it (the next
    seal will). What it guarantees: the events up to the sealed version are unchanged."""
    store, _, _a, b, out, pub = sealed
    with store.engine.begin() as conn:
        drop_record_triggers(store, conn)
        last = (
            conn.execute(sa.select(EVENTS).where(EVENTS.c.matter_id == b, EVENTS.c.seq == 2))
            .one()
            ._asdict()
        )
        del last["id"]
        forged = {
            **last,
            "seq": 3,
            "from_state": last["to_state"],
            "trigger": "forged",
            "prev_hash": last["hash"],
            "data": "{}",
        }
        forged["hash"] = event_hash(**{k: v for k, v in forged.items() if k != "hash"})
        conn.execute(sa.insert(EVENTS).values(**forged))
        conn.execute(
            sa.text("UPDATE matters SET head_hash = :h, version = 3 WHERE id = :m"),
            {"h": forged["hash"], "m": b},
        )
    assert verify(store).intact
    report = verify_against(store, out, load_public(pub))
    assert report.intact  # sealed history (events 1-2 of b) unchanged


def test_untouched_record_verifies_also_after_new_steps(
    sealed: tuple[Store, Engine, int, int, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    store, engine, a, _b, out, pub = sealed
    args = ("audit", "verify", "--db", store.url, "--against", str(out), "--public-key", str(pub))
    code, text, _ = run(capsys, *args)
    assert code == 0 and "matches checkpoint 1" in text
    c, _ = _walk(engine)  # new steps and matters after the seal
    report = verify_against(store, out, load_public(pub))
    assert report.intact and c in report.unsealed and a not in report.unsealed
    # a second seal chains to the first; the directory verifies as a chain
    key = pub.with_suffix("")
    code, text, _ = run(
        capsys, "audit", "seal", "--db", store.url, "--key", str(key), "--out", str(out)
    )
    assert code == 0 and "sealed checkpoint 2" in text
    second = json.loads((out / "checkpoint-000002.json").read_text())
    assert second["root"] in text and second["size"] == 4
    assert run(capsys, *args)[0] == 0
    assert verify_against(store, out, load_public(pub)).checkpoints == [1, 2]


def test_an_edited_checkpoint_fails_its_signature(
    sealed: tuple[Store, Engine, int, int, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    store, _, _a, _b, out, pub = sealed
    path = out / "checkpoint-000001.json"
    doc = json.loads(path.read_text())
    doc["matters"][0][2] = "ab" * 32
    doc["root"] = merkle_root([tuple(m) for m in doc["matters"]])
    path.write_text(json.dumps(doc))
    code, _out_text, err = run(
        capsys,
        "audit",
        "verify",
        "--db",
        store.url,
        "--against",
        str(path),
        "--public-key",
        str(pub),
    )
    assert code == 1 and "checkpoint" in err and "signature" in err and str(path) in err
    assert "Traceback" not in err


def test_the_wrong_public_key_fails(
    sealed: tuple[Store, Engine, int, int, Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store, _, _a, _b, out, _pub = sealed
    other = tmp_path / "other.key"
    generate(other)
    code, _, err = run(
        capsys,
        "audit",
        "verify",
        "--db",
        store.url,
        "--against",
        str(out),
        "--public-key",
        str(tmp_path / "other.key.pub"),
    )
    assert code == 1 and "public key" in err


def test_a_removed_checkpoint_breaks_the_chain_of_checkpoints(
    sealed: tuple[Store, Engine, int, int, Path, Path],
) -> None:
    store, _, _a, _b, out, pub = sealed
    key = load_private(pub.with_suffix(""))
    seal(store, out, key)
    seal(store, out, key)
    (out / "checkpoint-000002.json").unlink()
    with pytest.raises(Exception, match="number 3 but number 2 was expected"):
        verify_against(store, out, load_public(pub))


def test_keygen_writes_a_private_key_only_its_owner_can_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "k"
    code, text, _ = run(capsys, "audit", "keygen", str(key))
    assert code == 0 and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert (tmp_path / "k.pub").exists() and "public key" in text
    code, _, err = run(capsys, "audit", "keygen", str(key))  # never overwritten
    assert code == 2 and "already exists" in err


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("verify", "--against", "x.json"), "go together"),
        (("seal", "--key", "missing.key", "--out", "cps"), "cannot read the sealing key"),
        (("verify", "--against", "cps", "--public-key", "missing.pub"), "cannot read"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(
    sqlite_bureau: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    fragment: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "audit", *args, "--db", sqlite_bureau.url)
    assert code == 2 and fragment in err and "Traceback" not in err
    assert not (tmp_path / "cps").exists()


def test_the_key_comes_from_the_environment(
    sqlite_bureau: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    generate(tmp_path / "k")
    monkeypatch.setenv("ZHIFA_SEAL_KEY", str(tmp_path / "k"))
    code, _text, _ = run(
        capsys, "audit", "seal", "--db", sqlite_bureau.url, "--out", str(tmp_path / "cps")
    )
    assert code == 0 and (tmp_path / "cps" / "checkpoint-000001.json").exists()
