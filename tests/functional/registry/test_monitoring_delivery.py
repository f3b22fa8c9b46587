"""Monitoring, verification (maker-checker) and delivery of projected tonnes (issue 18)."""

from __future__ import annotations

import email
import hashlib
import json
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from tests.support.app import csrf_token
from tests.support.monitoring import approve, pdf, record_period, record_verification
from tests.support.payments import pay_with_demo, start_order
from tests.support.registry import BENEFICIARY, HOLD, make_project
from webapp.extensions import db
from webapp.models import (
    Allocation,
    Certificate,
    Delivery,
    Issuance,
    IssuanceStatus,
    LedgerEntry,
    MonitoringPeriod,
    MonitoringStatus,
)
from webapp.services import keys
from webapp.services.registry import allocation as alloc
from webapp.services.registry import audit_check
from webapp.services.registry.serials import WIDTH


@pytest.fixture
def projected(app, on_sale):
    """TA-CLS selling 10 t of projected (ex-ante) tonnes."""
    project = make_project()
    db.session.commit()
    issuance = on_sale(project, quantity_kg=10_000, delivery=Delivery.PROJECTED)
    return project, issuance


def _retire(project, kg, ref):
    a = alloc.reserve(db.session, project, kg, ref, hold=HOLD)
    alloc.retire(db.session, a, BENEFICIARY)
    db.session.commit()
    return a


def _mails(app) -> list[email.message.EmailMessage]:
    out = []
    for path in sorted(Path(app.config["MAIL_OUTBOX"]).glob("*.eml")):
        out.append(email.message_from_bytes(path.read_bytes(), policy=policy.default))
    return out


def _verify(app):
    _, keyring = keys.signing(app.config)
    db.session.rollback()
    report = audit_check.verify_registry(db.session, keyring)
    db.session.rollback()
    return report


def test_a_projected_sale_is_settled_by_a_later_verification(app, client, buyer, projected, admins):
    project, projected_issuance = projected
    order = pay_with_demo(client, start_order(client, tonnes="2.4"))
    certificate = db.session.scalar(select(Certificate).where(Certificate.order_id == order.id))
    assert certificate is not None
    later = _retire(project, 1_000, "later-sale")
    mails_before = len(_mails(app))
    maker, checker = admins

    period = record_period(project, maker)
    record_verification(period, maker, 5_000)
    result = approve(db.session.get(MonitoringPeriod, period.id), checker)

    assert result.settled_kg == 3_400 and result.unsettled_kg == 0
    delivered = db.session.scalar(
        select(Allocation).where(Allocation.settles_allocation_id == order.allocation_id)
    )
    assert delivered.quantity_kg == 2_400
    assert sum(r.quantity_kg for r in delivered.ranges) == 2_400
    new_issuance = db.session.get(Issuance, db.session.get(MonitoringPeriod, period.id).issuance_id)
    assert new_issuance.delivery is Delivery.VERIFIED
    assert {r.issuance_id for r in delivered.ranges} == {new_issuance.id}
    # Oldest retirement first: the paid order got the lowest delivered serials.
    assert min(r.first for r in delivered.ranges) == new_issuance.serial_first
    entry = db.session.get(LedgerEntry, delivered.retirement_entry_seq)
    body = json.loads(entry.body)
    assert entry.kind == "delivery"
    assert body["settles"] == order.allocation_id and body["quantity_kg"] == 2_400
    assert body["projected_ranges"][0]["issuance"] == projected_issuance.id
    assert body["ranges"][0]["issuance"] == new_issuance.id
    # The later sale was settled too; the remainder went on sale.
    assert (
        db.session.scalar(
            select(Allocation.quantity_kg).where(Allocation.settles_allocation_id == later.id)
        )
        == 1_000
    )
    assert new_issuance.status is IssuanceStatus.ON_SALE
    assert new_issuance.available_kg == 1_600
    # The holder was told, with the delivered serials.
    mails = _mails(app)[mails_before:]
    to_buyer = [m for m in mails if m["To"] == "buyer@example.cn"]
    assert len(to_buyer) == 1
    text_body = to_buyer[0].get_content()
    serial = f"TH-TA-CLS-2025-{new_issuance.serial_first:0{WIDTH}d}"
    assert serial in text_body and certificate.public_id in text_body
    # The verify page and its JSON show the delivery; the certificate stays valid.
    page = client.get(f"/v/{certificate.public_id}").get_data(as_text=True)
    assert 'id="delivery"' in page and serial in page
    data = client.get(f"/api/v1/certificates/{certificate.public_id}").get_json()
    assert data["status"] == "valid"
    assert data["delivered"]["serials"][0].startswith(serial)
    assert data["delivered"]["entry"] == delivered.retirement_entry_seq
    # … and the account's certificate list.
    mine = client.get("/account/certificates").get_data(as_text=True)
    assert serial in mine
    assert _verify(app).ok


def test_a_shortfall_is_public_and_follows_the_written_rule(
    app, client, projected, on_sale, admins
):
    project, _ = projected
    first = _retire(project, 3_000, "older")
    second = _retire(project, 2_000, "newer")
    stock = on_sale(project, quantity_kg=1_000, vintage=2024)  # other delivered stock
    maker, checker = admins
    period = record_period(project, maker)
    record_verification(period, maker, 2_500)
    result = approve(db.session.get(MonitoringPeriod, period.id), checker)

    # The older sale is settled whole (2.5 t verified + 0.5 t of other delivered stock);
    # the newer one cannot be, and stays projected: a public shortfall.
    assert result.settled_kg == 3_000 and result.from_stock_kg == 500
    assert result.unsettled_kg == 2_000
    settled = db.session.scalar(
        select(Allocation).where(Allocation.settles_allocation_id == first.id)
    )
    assert settled.quantity_kg == 3_000
    assert db.session.get(Issuance, stock.id).retired_kg == 500
    assert (
        db.session.scalar(select(func.count()).where(Allocation.settles_allocation_id == second.id))
        == 0
    )
    # Nothing of the verification is left for sale while a shortfall remains.
    issued = db.session.get(Issuance, db.session.get(MonitoringPeriod, period.id).issuance_id)
    assert issued.available_kg == 0 and issued.status is IssuanceStatus.CLOSED
    data = client.get("/api/v1/projects/TA-CLS").get_json()
    assert data["projected_sold_kg"] == 5_000
    assert data["delivered_kg"] == 3_000
    assert data["shortfall_kg"] == 2_000
    page = client.get("/projects/TA-CLS").get_data(as_text=True)
    assert 'id="shortfall"' in page
    # Retired counts projected and delivered serials; the page says so, so no claim reads twice.
    assert "每项声明在注销登记中只计一次" in page
    assert _verify(app).ok


def test_documents_are_public_with_their_hashes(app, client, projected, admins):
    project, _ = projected
    maker, _checker = admins
    period = record_period(project, maker, tag="r1")
    record_verification(period, maker, 1_000, tag="s1")
    report_sha = hashlib.sha256(pdf("r1")).hexdigest()
    statement_sha = hashlib.sha256(pdf("s1")).hexdigest()
    data = client.get("/api/v1/projects/TA-CLS").get_json()
    assert [d["sha256"] for d in data["documents"]] == [report_sha, statement_sha]
    assert data["monitoring_periods"][0]["status"] == "verification_pending"
    assert data["monitoring_periods"][0]["verified_kg"] == 1_000
    page = client.get("/projects/TA-CLS").get_data(as_text=True)
    assert report_sha in page and statement_sha in page
    response = client.get(f"/registry/documents/{report_sha}.pdf")
    assert response.status_code == 200 and response.data == pdf("r1")
    assert client.get(f"/registry/documents/{'0' * 64}.pdf").status_code == 404
    entries = [
        json.loads(b)
        for b in db.session.scalars(
            select(LedgerEntry.body).where(LedgerEntry.kind.in_(["monitoring", "verification"]))
        )
    ]
    assert entries[0]["report_sha256"] == report_sha
    assert entries[1]["statement_sha256"] == statement_sha


def _state():
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count()).select_from(MonitoringPeriod)),
        db.session.scalar(select(func.count()).select_from(LedgerEntry)),
        [(p.status, p.verified_kg) for p in db.session.scalars(select(MonitoringPeriod))],
    )


def _period_form(client, code="TA-CLS", **fields):
    data = {
        "m-csrf_token": csrf_token(client, f"/admin/projects/{code}/monitoring"),
        "m-period_start": "2025-01-01",
        "m-period_end": "2025-12-31",
        "m-method": "样地实测",
        "m-area_ha": "40",
    }
    data.update(fields)
    return data


@pytest.mark.parametrize(
    ("fields", "upload", "message"),
    [
        ({}, b"GIF89a not a pdf", "PDF"),
        ({"m-period_end": "2024-12-31"}, None, "end after it starts"),
        ({"m-area_ha": "-5"}, None, "more than 0"),
        ({"m-area_ha": "500"}, None, "66.67"),  # 1,000 mu = 66.67 ha
        ({"m-period_end": "2099-12-31"}, None, "future"),
    ],
)
def test_bad_monitoring_input_is_refused_and_nothing_changes(
    app, client, auth, projected, admins, english, fields, upload, message
):
    import io

    auth.login("maker@example.cn")
    before = _state()
    data = _period_form(client, **fields)
    data["m-report"] = (io.BytesIO(upload or pdf("x")), "report.pdf")
    response = client.post(
        "/admin/projects/TA-CLS/monitoring", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _state() == before
    assert not list(Path(app.config["CERTIFICATE_DIR"]).rglob("*.pdf"))


def test_a_verification_without_a_monitoring_period_is_refused(
    app, client, auth, projected, admins, english
):
    import io

    auth.login("maker@example.cn")
    before = _state()
    response = client.post(
        "/admin/projects/TA-CLS/verification",
        data={
            "v-csrf_token": csrf_token(client, "/admin/projects/TA-CLS/monitoring"),
            "v-period": "",
            "v-verifier": "中环联合认证中心",
            "v-verified_t": "5",
            "v-price_per_tonne": "90",
            "v-statement": (io.BytesIO(pdf("s")), "statement.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "needs a recorded monitoring period" in response.get_data(as_text=True)
    assert _state() == before


def test_the_recorder_cannot_approve_the_verification(app, client, auth, projected, admins):
    project, _ = projected
    maker, _checker = admins
    _retire(project, 500, "sold")
    period = record_period(project, maker)
    record_verification(period, maker, 1_000)
    auth.login("maker@example.cn")
    before = _state()
    page = client.get("/admin/projects/TA-CLS/monitoring").get_data(as_text=True)
    assert "Approve the verification" not in page and "批准核证" not in page
    response = client.post(
        f"/admin/monitoring/{period.id}/approve",
        data={"csrf_token": csrf_token(client, "/admin/projects/TA-CLS/monitoring")},
    )
    assert response.status_code == 302
    assert _state() == before
    assert db.session.get(MonitoringPeriod, period.id).status is (
        MonitoringStatus.VERIFICATION_PENDING
    )
    assert (
        db.session.scalar(select(func.count()).where(Allocation.settles_allocation_id.is_not(None)))
        == 0
    )


@pytest.fixture
def delivered(app, projected, admins):
    project, _ = projected
    sold = _retire(project, 700, "sold")
    maker, checker = admins
    period = record_period(project, maker)
    record_verification(period, maker, 2_000)
    approve(db.session.get(MonitoringPeriod, period.id), checker)
    settled = db.session.scalar(
        select(Allocation).where(Allocation.settles_allocation_id == sold.id)
    )
    return {"period": period.id, "sold": sold.id, "delivery": settled.id}


def _tamper(sql: str, **params) -> None:
    db.session.rollback()
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)


def test_registry_verify_passes_after_a_delivery(app, runner, delivered):
    report = _verify(app)
    assert report.ok, report.problems
    result = runner.invoke(args=["registry", "verify"])
    assert result.exit_code == 0, result.output


TAMPERING = {
    "report hash": (
        "UPDATE monitoring_periods SET report_sha256 = :bad WHERE id = :period",
        "monitoring_periods",
    ),
    "verified tonnes": (
        "UPDATE monitoring_periods SET verified_kg = 99999 WHERE id = :period",
        "monitoring_periods",
    ),
    "verification status": (
        "UPDATE monitoring_periods SET status = 'recorded' WHERE id = :period",
        "monitoring_periods",
    ),
    "method": (
        "UPDATE monitoring_periods SET method = 'guessed' WHERE id = :period",
        "monitoring_periods",
    ),
    "settled link": (
        "UPDATE allocations SET settles_allocation_id = NULL WHERE id = :delivery",
        "allocations",
    ),
    "delivery holder": (
        "UPDATE allocations SET beneficiary_public = 'Mallory' WHERE id = :delivery",
        "allocations",
    ),
    "delivered serials": (
        "UPDATE serial_ranges SET last = last - 1 WHERE allocation_id = :delivery",
        "serial_ranges",
    ),
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_registry_verify_catches_tampering_with_the_new_rows(app, delivered, case):
    sql, table = TAMPERING[case]
    _tamper(sql, bad="f" * 64, **delivered)
    report = _verify(app)
    assert not report.ok
    assert any(p.startswith(table) for p in report.problems), report.problems


def test_the_register_lists_a_settled_claim_once(app, client, delivered):
    sold = db.session.get(Allocation, delivered["sold"])
    settled = db.session.get(Allocation, delivered["delivery"])
    rows = client.get("/api/v1/registry/retirements").get_json()["retirements"]
    assert [r["entry"] for r in rows] == [sold.retirement_entry_seq]
    # A delivered serial leads to the retirement it settled.
    serial = settled.ranges[0].first
    page = client.get(f"/registry/retirements?q={serial}").get_data(as_text=True)
    assert f"#e{sold.retirement_entry_seq}" in page or str(sold.retirement_entry_seq) in page
    data = client.get(f"/api/v1/registry/retirements?q={serial}").get_json()
    assert [r["entry"] for r in data["retirements"]] == [sold.retirement_entry_seq]


def test_the_ledger_pages_show_the_new_entries(app, client, delivered, english):
    page = client.get("/registry/ledger").get_data(as_text=True)
    for label in (
        "Monitoring period",
        "Verification",
        "Verification approved",
        "Delivery of projected tonnes",
    ):
        assert label in page
    csv = client.get("/registry/ledger.csv").get_data(as_text=True)
    assert ",delivery," in csv and ",monitoring," in csv


def test_a_refund_of_a_settled_retirement_returns_its_delivered_serials(app, delivered):
    sold = db.session.get(Allocation, delivered["sold"])
    settled = db.session.get(Allocation, delivered["delivery"])
    issuance = db.session.get(Issuance, settled.ranges[0].issuance_id)
    retired_before = issuance.retired_kg
    alloc.reverse(db.session, sold, reason="refund", actor=None)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Allocation, delivered["delivery"]).state.value == "reversed"
    assert db.session.get(Issuance, issuance.id).retired_kg == retired_before - 700
    assert _verify(app).ok
