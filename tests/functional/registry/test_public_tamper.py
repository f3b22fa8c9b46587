"""`registry verify` proves what the public sees: an edit of any public column by raw SQL is
caught, and the message names the table, the row and the ledger entry (exit 1)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.support.registry import HOLD
from webapp.extensions import db
from webapp.models import Certificate, Plot, Privacy, Purpose, SerialRange
from webapp.services import keys
from webapp.services.certificates import issuing
from webapp.services.certificates.token import CertificateKind
from webapp.services.registry import allocation as alloc
from webapp.services.registry import audit_check


def _retire(project, qty, ref, name, key, *, detail=""):
    a = alloc.reserve(db.session, project, qty, ref, hold=HOLD)
    alloc.retire(
        db.session,
        a,
        alloc.Beneficiary(
            name=name, privacy=Privacy.FULL, purpose=Purpose.GIFT, purpose_detail=detail
        ),
    )
    cert = issuing.issue(
        db.session,
        key=key,
        kind=CertificateKind.OFFSET,
        holder_name=name,
        privacy=Privacy.FULL,
        locale="zh_CN",
        owner=None,
        quantity_kg=qty,
        allocation_id=a.id,
    )
    return a, cert


@pytest.fixture
def registry(app, project, on_sale, make_plot, sponsor_plot, make_user):
    """Every kind of public row: a retirement with its certificate, a refunded one (revoked
    certificate), a partly refunded one (re-issued certificate), a reservation, and a
    sponsored plot with its certificate."""
    key, _ = keys.signing(app.config)
    iss = on_sale(project, 100_000)
    kept, kept_cert = _retire(project, 100, "order-1", "居民甲", key, detail="生日")
    refunded, refunded_cert = _retire(project, 200, "order-2", "居民乙", key)
    alloc.reverse(db.session, refunded, reason="refund", actor=None)
    issuing.revoke(db.session, refunded_cert, reason="refunded", actor=None)
    partial, first_cert = _retire(project, 300, "order-3", "居民丙", key)
    alloc.reverse_part(db.session, partial, 50, reason="surplus", actor=None)
    issuing.revoke(db.session, first_cert, reason="re-issued", actor=None)
    reissued = issuing.issue(
        db.session,
        key=key,
        kind=CertificateKind.OFFSET,
        holder_name="居民丙",
        privacy=Privacy.FULL,
        locale="zh_CN",
        owner=None,
        quantity_kg=250,
        allocation_id=partial.id,
    )
    held = alloc.reserve(db.session, project, 40, "order-4", hold=HOLD)
    db.session.commit()
    plot = sponsor_plot(make_plot(), make_user())
    plot_cert = issuing.issue(
        db.session,
        key=key,
        kind=CertificateKind.PLOT,
        holder_name="李梅",
        privacy=Privacy.FULL,
        locale="zh_CN",
        owner=None,
        plot_code=plot.code,
        plot_id=plot.id,
    )
    db.session.commit()
    return {
        "iss": iss.id,
        "kept": kept.id,
        "kept_seq": kept.retirement_entry_seq,
        "kept_cert": kept_cert.id,
        "refunded": refunded.id,
        "refunded_cert": refunded_cert.id,
        "partial": partial.id,
        "partial_seq": partial.retirement_entry_seq,
        "reissued": reissued.id,
        "first_cert": first_cert.id,
        "held": held.id,
        "plot": plot.id,
        "plot_cert": plot_cert.id,
    }


def _verify(app):
    _, keyring = keys.signing(app.config)
    db.session.rollback()
    report = audit_check.verify_registry(db.session, keyring)
    db.session.rollback()
    return report


def _tamper(sql: str, **params) -> None:
    db.session.rollback()
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)


def _last_seq() -> int:
    return db.session.scalar(text("SELECT max(seq) FROM ledger_entries"))


def test_an_untouched_registry_verifies(app, runner, registry):
    report = _verify(app)
    assert report.ok, report.problems
    assert report.allocations == 4 and report.certificates == 5 and report.plots == 1
    result = runner.invoke(args=["registry", "verify"])
    assert result.exit_code == 0, result.output
    assert "4 allocations, 5 certificates, 1 sponsored plots" in result.output


# (SQL, table, the row's key in the fixture, the entry's key in the fixture or a callable)
TAMPERING = {
    "allocation name as shown": (
        "UPDATE allocations SET beneficiary_public = 'Mallory' WHERE id = :kept",
        "allocations",
        "kept",
        "kept_seq",
    ),
    "allocation purpose": (
        "UPDATE allocations SET purpose = 'judicial_restoration' WHERE id = :kept",
        "allocations",
        "kept",
        "kept_seq",
    ),
    "allocation purpose detail": (
        "UPDATE allocations SET purpose_detail = '婚礼' WHERE id = :kept",
        "allocations",
        "kept",
        "kept_seq",
    ),
    "allocation state": (
        "UPDATE allocations SET state = 'retired' WHERE id = :refunded",
        "allocations",
        "refunded",
        None,
    ),
    "allocation quantity": (
        "UPDATE allocations SET quantity_kg = 300 WHERE id = :partial",
        "allocations",
        "partial",
        None,
    ),
    "serial range moved (same size)": (
        "UPDATE serial_ranges SET first = first + 50000, last = last + 50000"
        " WHERE allocation_id = :kept",
        "serial_ranges",
        None,
        "kept_seq",
    ),
    "serial range cut short": (
        "UPDATE serial_ranges SET last = last - 10 WHERE allocation_id = :kept",
        "serial_ranges",
        None,
        "kept_seq",
    ),
    "certificate holder": (
        "UPDATE certificates SET holder_public = 'Mallory' WHERE id = :kept_cert",
        "certificates",
        "kept_cert",
        "kept_seq",
    ),
    "certificate quantity": (
        "UPDATE certificates SET quantity_kg = 1000 WHERE id = :kept_cert",
        "certificates",
        "kept_cert",
        "kept_seq",
    ),
    "re-issued certificate quantity": (
        "UPDATE certificates SET quantity_kg = 300 WHERE id = :reissued",
        "certificates",
        "reissued",
        None,
    ),
    "refunded certificate made valid again": (
        "UPDATE certificates SET status = 'valid', revoked_at = NULL WHERE id = :refunded_cert",
        "certificates",
        "refunded_cert",
        None,
    ),
    "certificate revoked by SQL while its serials stay retired": (
        "UPDATE certificates SET status = 'revoked', revoked_at = created_at WHERE id = :kept_cert",
        "certificates",
        "kept_cert",
        None,
    ),
    "re-issued certificate's predecessor made valid again": (
        "UPDATE certificates SET status = 'valid', revoked_at = NULL WHERE id = :first_cert",
        "certificates",
        "first_cert",
        None,
    ),
    "plot sponsor name": (
        "UPDATE plots SET sponsor_public = 'Mallory' WHERE id = :plot",
        "plots",
        "plot",
        None,
    ),
    "plot certificate holder": (
        "UPDATE certificates SET holder_public = 'Mallory' WHERE id = :plot_cert",
        "certificates",
        "plot_cert",
        None,
    ),
    "issuance serial block": (
        "UPDATE issuances SET serial_last = serial_last + 1000 WHERE id = :iss",
        "issuances",
        "iss",
        None,
    ),
}


@pytest.mark.parametrize("case", list(TAMPERING), ids=list(TAMPERING))
def test_editing_a_public_column_is_caught_and_located(app, runner, registry, case):
    sql, table, row_key, seq_key = TAMPERING[case]
    params = {k: v for k, v in registry.items() if f":{k}" in sql}
    _tamper(sql, **params)
    report = _verify(app)
    assert not report.ok
    located = [p for p in report.problems if p.startswith(f"{table} row")]
    assert located, report.problems
    if row_key is not None:
        assert any(f"{table} row {registry[row_key]}" in p for p in located), located
    assert all("ledger entry" in p for p in located), located
    if seq_key is not None:
        assert any(f"ledger entry {registry[seq_key]}" in p for p in located), located
    result = runner.invoke(args=["registry", "verify"])
    assert result.exit_code == 1
    assert f"MISMATCH: {table} row" in result.output


def test_a_split_range_is_not_a_mismatch(app, registry):
    # A partial reversal leaves the allocation's serials in two rows: kept and returned.
    rows = db.session.scalars(
        db.select(SerialRange).where(SerialRange.allocation_id == registry["partial"])
    ).all()
    assert len(rows) == 2
    assert _verify(app).ok


def test_the_names_shown_are_what_the_ledger_says(app, registry):
    # The fixture's rows are what the verifier compares: make sure they hold real names.
    assert db.session.get(Certificate, registry["kept_cert"]).holder_public == "居民甲"
    assert db.session.get(Plot, registry["plot"]).sponsor_public == "李梅"


@pytest.fixture
def plain_registry(app, project, on_sale):
    """Only plain retirements (reservation, retirement, one range, one certificate): the
    batch the verifier checks in bulk, without a replay per allocation."""
    key, _ = keys.signing(app.config)
    iss = on_sale(project, 100_000)
    first, first_cert = _retire(project, 120, "order-p1", "居民丁", key, detail="纪念")
    second, second_cert = _retire(project, 80, "order-p2", "居民戊", key)
    db.session.commit()
    return {
        "iss": iss.id,
        "first": first.id,
        "first_seq": first.retirement_entry_seq,
        "first_cert": first_cert.id,
        "second": second.id,
        "second_seq": second.retirement_entry_seq,
        "second_cert": second_cert.id,
    }


# Tampering of a registry where every allocation takes the bulk path: the bulk comparison
# must notice and hand the batch to the replay, which names the row and the entry.
PLAIN_TAMPERING = {
    "allocation name as shown": (
        "UPDATE allocations SET beneficiary_public = 'Mallory' WHERE id = :second",
        "allocations",
        "second",
        "second_seq",
    ),
    "allocation purpose detail": (
        "UPDATE allocations SET purpose_detail = '婚礼' WHERE id = :first",
        "allocations",
        "first",
        "first_seq",
    ),
    "allocation quantity": (
        "UPDATE allocations SET quantity_kg = 81 WHERE id = :second",
        "allocations",
        "second",
        None,
    ),
    "allocation retirement entry": (
        "UPDATE allocations SET retirement_entry_seq = retirement_entry_seq - 1 WHERE id = :second",
        "allocations",
        "second",
        "second_seq",
    ),
    "serial range moved (same size)": (
        "UPDATE serial_ranges SET first = first + 50000, last = last + 50000"
        " WHERE allocation_id = :second",
        "serial_ranges",
        None,
        "second_seq",
    ),
    "certificate holder": (
        "UPDATE certificates SET holder_public = 'Mallory' WHERE id = :first_cert",
        "certificates",
        "first_cert",
        "first_seq",
    ),
    "certificate quantity": (
        "UPDATE certificates SET quantity_kg = 1000 WHERE id = :second_cert",
        "certificates",
        "second_cert",
        "second_seq",
    ),
    "certificate revoked by SQL": (
        "UPDATE certificates SET status = 'revoked', revoked_at = created_at"
        " WHERE id = :second_cert",
        "certificates",
        "second_cert",
        None,
    ),
}


def test_a_plain_registry_verifies_in_bulk(app, plain_registry):
    report = _verify(app)
    assert report.ok, report.problems
    assert report.allocations == 2 and report.certificates == 2


@pytest.mark.parametrize("case", list(PLAIN_TAMPERING), ids=list(PLAIN_TAMPERING))
def test_editing_a_plain_retirement_is_caught_and_located(app, plain_registry, case):
    sql, table, row_key, seq_key = PLAIN_TAMPERING[case]
    params = {k: v for k, v in plain_registry.items() if f":{k}" in sql}
    _tamper(sql, **params)
    report = _verify(app)
    assert not report.ok
    located = [p for p in report.problems if p.startswith(f"{table} row")]
    assert located, report.problems
    if row_key is not None:
        assert any(f"{table} row {plain_registry[row_key]}" in p for p in located), located
    assert all("ledger entry" in p for p in located), located
    if seq_key is not None:
        assert any(f"ledger entry {plain_registry[seq_key]}" in p for p in located), located
