"""The ledger as a Merkle log: proofs verify, tampering is named, DB guards hold."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tests.support.registry import HOLD
from webapp.extensions import db
from webapp.models import LedgerEntry, SerialRange, registry_ddl
from webapp.services import keys
from webapp.services.registry import allocation as alloc
from webapp.services.registry import ledger, merkle
from webapp.services.signing import verify_tree_head


def test_roots_and_proofs_match_the_reference_tree(app, busy_ledger):
    n = busy_ledger
    leaves = [
        bytes(h)
        for h in db.session.scalars(db.select(LedgerEntry.leaf_hash).order_by(LedgerEntry.seq))
    ]
    assert len(leaves) == n > 20
    head = db.session.get(ledger.LedgerHead, 1)
    assert ledger.current_root(head) == merkle.root(leaves)
    for size in (1, 2, 7, 16, n):
        root = merkle.root(leaves[:size])
        assert ledger.root_at(db.session, size) == root
        for seq in range(size):
            proof = ledger.inclusion_proof(db.session, seq, size)
            assert proof == merkle.inclusion_proof(seq, leaves[:size])
            assert merkle.verify_inclusion(leaves[seq], seq, size, proof, root)
    for old in (1, 5, 8, n - 1):
        proof = ledger.consistency_proof(db.session, old, n)
        assert merkle.verify_consistency(
            old, n, merkle.root(leaves[:old]), merkle.root(leaves), proof
        )


def test_signed_tree_head_verifies(app, busy_ledger):
    key, keyring = keys.signing(app.config)
    sth = ledger.publish_tree_head(db.session, key, 1_700_000_000_000)
    db.session.commit()
    assert sth["tree_size"] == busy_ledger and verify_tree_head(keyring, sth)
    again = ledger.publish_tree_head(db.session, key, 1_800_000_000_000)
    assert again == sth  # kept, not re-signed


def _verify(app):
    _, keyring = keys.signing(app.config)
    db.session.expire_all()
    return ledger.verify(db.session, keyring)


def test_verify_passes_on_an_untouched_ledger(app, busy_ledger):
    report = _verify(app)
    assert report.ok, report.problems
    assert report.entries == busy_ledger


def _tamper(sql: str, **params) -> None:
    db.session.rollback()  # end the test's own transaction so the edit can take the lock
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)


def _tamper_past_triggers(sql: str, **params) -> None:
    """What someone who can switch the append-only triggers off (a database superuser)
    could do: ``registry verify`` must still name it."""
    db.session.rollback()
    with db.engine.begin() as conn, registry_ddl.maintenance(conn):
        conn.execute(text(sql), params)


def test_edited_body_is_named(app, busy_ledger):
    seq = db.session.scalar(db.select(LedgerEntry.seq).where(LedgerEntry.body.contains("居民5")))
    _tamper_past_triggers(
        "UPDATE ledger_entries SET body = replace(body, '居民5', '居民X') WHERE seq = :s", s=seq
    )
    report = _verify(app)
    assert not report.ok and report.first_bad_seq == seq
    assert f"entry {seq} was altered" in report.problems[0]


def test_edited_body_with_recomputed_hash_is_named_by_the_chain(app, busy_ledger):
    from webapp.services.registry.canonical import entry_hash

    seq = 5
    entry = db.session.get(LedgerEntry, seq)
    import json

    body = json.loads(entry.body)
    body["at"] = "2020-01-01T00:00:00.000Z"
    from webapp.services.registry.canonical import canonical_json

    _tamper_past_triggers(
        "UPDATE ledger_entries SET body = :b, leaf_hash = :h WHERE seq = :s",
        b=canonical_json(body),
        h=entry_hash(body),
        s=seq,
    )
    report = _verify(app)
    assert not report.ok and report.first_bad_seq == seq
    assert f"entry {seq} was altered" in report.problems[0]


def test_deleted_entry_is_named(app, busy_ledger):
    _tamper_past_triggers("DELETE FROM ledger_entries WHERE seq = 9")
    report = _verify(app)
    assert not report.ok and report.first_bad_seq == 9
    assert "entry 9 is missing" in report.problems[0]


def test_deleted_last_entry_is_named(app, busy_ledger):
    _tamper_past_triggers("DELETE FROM ledger_entries WHERE seq = :s", s=busy_ledger - 1)
    report = _verify(app)
    assert not report.ok and report.first_bad_seq == busy_ledger - 1


def test_cli_registry_verify_exit_codes(app, runner, busy_ledger):
    ok = runner.invoke(args=["registry", "verify"])
    assert ok.exit_code == 0, ok.output
    assert f"{busy_ledger} entries" in ok.output
    _tamper_past_triggers(
        "UPDATE ledger_entries SET body = replace(body, :a, :b) WHERE kind = 'reservation'",
        a='"quantity_kg":101',
        b='"quantity_kg":999',
    )
    bad = runner.invoke(args=["registry", "verify"])
    assert bad.exit_code == 1
    assert "first entry that does not match:" in bad.output


def test_counters_that_disagree_with_the_ledger_fail_verify(app, runner, busy_ledger):
    _tamper("UPDATE issuances SET retired_kg = retired_kg - 5, reserved_kg = reserved_kg + 5")
    bad = runner.invoke(args=["registry", "verify"])
    assert bad.exit_code == 1 and "counters" in bad.output


def test_database_refuses_overlapping_active_ranges(app, project, on_sale):
    on_sale(project, 1000)
    a = alloc.reserve(db.session, project, 10, "order-1", hold=HOLD)
    db.session.commit()
    first = a.ranges[0].first
    db.session.add(
        SerialRange(
            issuance_id=a.ranges[0].issuance_id,
            allocation_id=a.id,
            first=first + 5,
            last=first + 20,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_database_refuses_overlapping_issuance_blocks(app, project, on_sale):
    iss = on_sale(project, 1000)
    with pytest.raises(IntegrityError):
        _tamper(
            "INSERT INTO issuances (project_id, vintage, period_start, period_end, serial_first,"
            " serial_last, price_per_tonne, delivery, status, reserved_kg, retired_kg, note,"
            " drafted_by_id, created_at) VALUES (:p, 2025, '2025-01-01', '2025-12-31', :f, :l,"
            " 10, 'verified', 'draft', 0, 0, '', :u, '2026-01-01 00:00:00')",
            p=project.id,
            f=iss.serial_last - 10,
            l=iss.serial_last + 100,
            u=iss.drafted_by_id,
        )


def test_database_refuses_oversold_counters(app, project, on_sale):
    iss = on_sale(project, 1000)
    with pytest.raises(IntegrityError):
        _tamper("UPDATE issuances SET reserved_kg = 1001 WHERE id = :i", i=iss.id)


def test_database_refuses_self_approval(app, project, on_sale):
    iss = on_sale(project, 1000)
    with pytest.raises(IntegrityError):
        _tamper("UPDATE issuances SET approved_by_id = drafted_by_id WHERE id = :i", i=iss.id)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE ledger_entries SET body = replace(body, '居民5', '居民X') WHERE seq = 3",
        "UPDATE ledger_entries SET allocation_id = NULL WHERE seq = 3",
        "DELETE FROM ledger_entries WHERE seq = 3",
        "DELETE FROM ledger_entries",
        "UPDATE merkle_nodes SET hash = hash WHERE level = 1",
        "DELETE FROM merkle_nodes WHERE level = 1",
        "UPDATE tree_heads SET timestamp_ms = timestamp_ms + 1",
        "DELETE FROM tree_heads",
    ],
)
def test_database_refuses_to_change_the_append_only_tables(app, busy_ledger, sql):
    key, _ = keys.signing(app.config)
    ledger.publish_tree_head(db.session, key, 1_700_000_000_000)
    db.session.commit()
    before = [
        (e.seq, e.body, bytes(e.leaf_hash), e.allocation_id)
        for e in db.session.scalars(db.select(LedgerEntry).order_by(LedgerEntry.seq))
    ]
    with pytest.raises(IntegrityError, match="append-only"):
        _tamper(sql)
    db.session.expire_all()
    after = [
        (e.seq, e.body, bytes(e.leaf_hash), e.allocation_id)
        for e in db.session.scalars(db.select(LedgerEntry).order_by(LedgerEntry.seq))
    ]
    assert after == before
    assert _verify(app).ok


def test_database_refuses_truncating_the_ledger_on_postgresql(app, busy_ledger):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; DELETE is refused above")
    with pytest.raises(IntegrityError, match="append-only"):
        _tamper("TRUNCATE ledger_entries CASCADE")
    assert (
        ledger.size(db.session)
        == busy_ledger
        == db.session.scalar(db.select(db.func.count()).select_from(LedgerEntry))
    )


def test_appending_still_works_under_the_guards(app, busy_ledger, project):
    a = alloc.reserve(db.session, project, 7, "order-after-guards", hold=HOLD)
    db.session.commit()
    assert ledger.size(db.session) == busy_ledger + 1 and a.ranges
    assert _verify(app).ok
