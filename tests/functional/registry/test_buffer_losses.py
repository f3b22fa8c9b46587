"""Buffer pool and losses (issue 18): withholding, cancellation, stopped sales, maker-checker,
verify pages, registry verify, refusals."""

from __future__ import annotations

import email
import email.policy
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select, text

from tests.support.app import csrf_token
from tests.support.registry import HOLD, make_project
from webapp.errors import Conflict, DomainError, Forbidden
from webapp.extensions import db
from webapp.models import (
    Allocation,
    AllocationState,
    Delivery,
    LedgerEntry,
    Loss,
    LossCause,
    LossStatus,
    Privacy,
    ProjectType,
    Purpose,
    RiskRating,
    SinkInstrument,
)
from webapp.services import keys
from webapp.services.certificates import issuing
from webapp.services.certificates.token import CertificateKind
from webapp.services.registry import allocation as alloc
from webapp.services.registry import audit_check, buffer, losses, projects, queries
from webapp.unit_of_work import committing


def _adds_up(c: queries.Counters) -> bool:
    return c.issued_kg == (
        c.available_kg
        + c.reserved_kg
        + c.retired_kg
        + c.buffer_held_kg
        + c.buffer_used_kg
        + c.cancelled_kg
    )


@pytest.fixture
def forest(app, on_sale):
    """A medium-risk project (20 % buffer) with 10 t delivered on sale."""
    project = make_project("TA-LSS", risk_rating=RiskRating.MEDIUM)
    db.session.commit()
    issuance = on_sale(project, 10_000)
    return project, issuance


def _certificate(app, project, kg=1_000, ref="order-1", owner=None):
    key, _ = keys.signing(app.config)
    a = alloc.reserve(db.session, project, kg, ref, hold=HOLD)
    alloc.retire(
        db.session, a, alloc.Beneficiary(name="王小林", privacy=Privacy.FULL, purpose=Purpose.GIFT)
    )
    cert = issuing.issue(
        db.session,
        key=key,
        kind=CertificateKind.OFFSET,
        holder_name="王小林",
        privacy=Privacy.FULL,
        locale="zh_CN",
        owner=owner,
        quantity_kg=kg,
        allocation_id=a.id,
    )
    db.session.commit()
    return cert


def _report(project, reporter, tonnes="1.5", area="2", **extra) -> Loss:
    data = losses.LossReport(
        cause=extra.get("cause", LossCause.FIRE),
        occurred_on=extra.get("occurred_on", date(2026, 3, 1)),
        area_ha=Decimal(area),
        estimated_t=Decimal(tonnes),
        note=extra.get("note", "山火"),
    )
    loss = losses.report(db.session, project, data, [], actor=reporter)
    db.session.commit()
    return loss


def _verify(app):
    _, keyring = keys.signing(app.config)
    db.session.rollback()
    report = audit_check.verify_registry(db.session, keyring)
    db.session.rollback()
    return report


def test_delivered_issuance_withholds_its_buffer_and_counters_add_up(app, client, forest, on_sale):
    project, issuance = forest
    assert issuance.buffer_held_kg == 2_000 and issuance.available_kg == 8_000
    buffer = db.session.scalar(select(Allocation).where(Allocation.state == AllocationState.BUFFER))
    assert buffer.quantity_kg == 2_000
    # The highest serials of the block: sales (lowest first) never reach them.
    assert [(r.first, r.last) for r in buffer.ranges] == [
        (issuance.serial_last - 1_999, issuance.serial_last)
    ]
    projected = on_sale(project, 5_000, vintage=2027, delivery=Delivery.PROJECTED)
    assert projected.buffer_held_kg == 0  # only delivered tonnes are buffered
    counters = queries.project_counters(db.session)[project.id]
    assert counters.buffer_held_kg == 2_000 and _adds_up(counters)
    api = client.get("/api/v1/projects/TA-LSS").get_json()
    assert api["buffer_held_kg"] == 2_000 and api["buffer_used_kg"] == 0
    assert api["issued_kg"] == 15_000 and api["available_kg"] == 13_000
    assert api["buffer_percent"] == 20 and api["sales_stopped"] is False
    pool = client.get("/api/v1/registry/buffer").get_json()["projects"]
    assert pool == [
        {
            "project": "TA-LSS",
            "name_zh": project.name_zh,
            "name_en": project.name_en,
            "risk_rating": "medium",
            "buffer_percent": 20,
            "withheld_kg": 2_000,
            "used_kg": 0,
            "held_kg": 2_000,
        }
    ]
    # Buffer serials are never for sale.
    with pytest.raises(Conflict):
        alloc.reserve(db.session, project, 13_001, "too-much", hold=HOLD)
    db.session.rollback()
    alloc.reserve(db.session, project, 13_000, "all", hold=HOLD)
    db.session.commit()
    assert _verify(app).ok


def test_confirmed_loss_cancels_buffer_and_every_verify_page_says_so(
    app, client, forest, make_user, english
):
    project, issuance = forest
    holder = make_user(email="holder@example.cn")
    cert = _certificate(app, project, owner=holder)
    ranger, staff = make_user("ranger"), make_user("admin")
    loss = _report(project, ranger)
    assert loss.status is LossStatus.REPORTED and issuance.buffer_used_kg == 0
    before = db.session.scalar(select(func.count()).select_from(LedgerEntry))
    with committing(db.session):  # the boundary: holders are told after the commit
        losses.confirm(db.session, loss, actor=staff)
    db.session.refresh(issuance)
    assert (loss.buffer_kg, loss.stock_kg, loss.uncovered_kg) == (1_500, 0, 0)
    assert not loss.stops_sales
    assert (issuance.buffer_held_kg, issuance.buffer_used_kg, issuance.cancelled_kg) == (
        500,
        1_500,
        0,
    )
    assert _adds_up(queries.project_counters(db.session)[project.id])
    entry = db.session.get(LedgerEntry, loss.cancellation_seq)
    assert entry.kind == "cancellation" and f'"loss":{loss.id}' in entry.body
    # Idempotent: confirming again changes nothing.
    losses.confirm(db.session, loss, actor=staff)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == before + 1
    page = client.get(f"/v/{cert.public_id}").get_data(as_text=True)
    assert loss.ref in page and "1.500 t covered from the buffer pool" in page
    data = client.get(f"/api/v1/certificates/{cert.public_id}").get_json()
    assert data["project_losses"][0]["buffer_kg"] == 1_500
    assert data["project_losses"][0]["ref"] == loss.ref
    project_page = client.get("/projects/TA-LSS").get_data(as_text=True)
    assert "Buffer withheld from issuance" in project_page  # the timeline
    assert f"Loss {loss.ref} confirmed (Forest fire)" in project_page
    assert f'id="{loss.ref}"' in project_page  # the project's losses
    register = client.get("/registry/losses").get_data(as_text=True)
    assert loss.ref in register and "Forest fire" in register
    csv_text = client.get("/registry/losses.csv").get_data(as_text=True)
    assert f"{loss.ref},TA-LSS,fire,2026-03-01,2.00,1500,1500,0,0,no" in csv_text
    api = client.get("/api/v1/registry/losses").get_json()["losses"]
    assert [(x["ref"], x["buffer_kg"]) for x in api] == [(loss.ref, 1_500)]
    # The holder was told, after the commit.
    mails = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in Path(app.config["MAIL_OUTBOX"]).glob("*.eml")
    ]
    assert [m["To"] for m in mails] == ["holder@example.cn"]
    assert cert.public_id in mails[0].get_content() and loss.ref not in mails[0]["To"]
    assert _verify(app).ok


def test_loss_larger_than_the_buffer_stops_sales_until_resolved(
    app, client, auth, forest, make_user
):
    project, issuance = forest
    ranger, staff = make_user("ranger"), make_user("admin")
    make_user(email="buyer@example.cn")
    auth.login("buyer@example.cn")
    assert "TA-LSS" in client.get("/offset").get_data(as_text=True)
    loss = _report(project, ranger, tonnes="3")
    losses.confirm(db.session, loss, actor=staff)
    db.session.commit()
    assert (loss.buffer_kg, loss.stock_kg, loss.uncovered_kg) == (2_000, 1_000, 0)
    assert loss.sales_stopped
    db.session.refresh(issuance)
    assert issuance.cancelled_kg == 1_000 and issuance.available_kg == 7_000
    with pytest.raises(Conflict) as refused:
        alloc.reserve(db.session, project, 10, "buyer", hold=HOLD)
    assert loss.ref in str(refused.value.message)
    db.session.rollback()
    assert client.get("/api/v1/projects/TA-LSS").get_json()["sales_stopped"] is True
    assert "sales-stopped" in client.get("/projects/TA-LSS").get_data(as_text=True)
    assert "TA-LSS" not in client.get("/offset").get_data(as_text=True)  # not offered
    # A form opened before the loss and sent now is told why, not "not a valid choice".
    stale = client.post(
        "/offset",
        data={
            "csrf_token": csrf_token(client, "/offset"),
            "tonnes": "1",
            "project": "TA-LSS",
            "beneficiary_name": "林",
            "privacy": "initials",
            "purpose": "household_year",
            "method": "demo",
        },
    )
    assert stale.status_code == 400 and loss.ref in stale.get_data(as_text=True)
    db.session.rollback()
    assert _verify(app).ok
    losses.resolve(db.session, loss, actor=staff, note="重新测算并补植")
    db.session.commit()
    alloc.reserve(db.session, project, 10, "buyer", hold=HOLD)
    db.session.commit()
    assert "TA-LSS" in client.get("/offset").get_data(as_text=True)
    assert _verify(app).ok


def test_uncovered_remainder_is_public(app, client, forest, make_user):
    project, _issuance = forest
    alloc.reserve(db.session, project, 8_000, "everything", hold=HOLD)
    db.session.commit()
    loss = _report(project, make_user("ranger"), tonnes="2.5")
    losses.confirm(db.session, loss, actor=make_user("admin"))
    db.session.commit()
    assert (loss.buffer_kg, loss.stock_kg, loss.uncovered_kg) == (2_000, 0, 500)
    row = client.get("/api/v1/registry/losses").get_json()["losses"][0]
    assert row["uncovered_kg"] == 500
    assert _verify(app).ok


def test_loss_cannot_be_confirmed_by_its_reporter(app, forest, make_user):
    project, issuance = forest
    staff = make_user("admin")
    loss = _report(project, staff)
    with pytest.raises(Forbidden):
        losses.confirm(db.session, loss, actor=staff)
    db.session.rollback()
    db.session.refresh(loss)
    db.session.refresh(issuance)
    assert loss.status is LossStatus.REPORTED and issuance.buffer_used_kg == 0
    with pytest.raises(Forbidden):  # and a ranger never confirms
        losses.confirm(db.session, loss, actor=make_user("ranger"))
    db.session.rollback()


@pytest.mark.parametrize(
    ("area", "tonnes", "extra", "message"),
    [
        ("67", "1", {}, "larger than the project"),  # 1000 mu = 66.67 ha
        ("-1", "1", {}, "more than 0 ha"),
        ("0", "1", {}, "more than 0 ha"),
        ("1", "10.001", {}, "larger than all the project has issued"),
        ("1", "0", {}, "more than 0 t"),
        ("1", "1", {"occurred_on": date(2999, 1, 1)}, "future"),
        ("1", "1", {"note": "a\u202eb"}, "invisible"),
    ],
)
def test_bad_loss_reports_are_refused_and_nothing_changes(
    app, forest, make_user, english, area, tonnes, extra, message
):
    project, _issuance = forest
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        with pytest.raises(DomainError) as refused:
            _report(project, make_user("ranger"), tonnes=tonnes, area=area, **extra)
        assert message in str(refused.value.message)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Loss)) == 0


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 60, 0)).save(out, "JPEG")
    return out.getvalue()


def test_ranger_reports_on_the_form_and_a_bad_photo_is_refused(
    app, client, auth, forest, make_user, photo_dir, english
):
    make_user("ranger", email="ranger@example.cn")
    auth.login("ranger@example.cn")
    form = {
        "project": "TA-LSS",
        "cause": "pests",
        "occurred_on": "2026-02-01",
        "area_ha": "3.5",
        "estimated_t": "1.2",
        "note": "松材线虫病",
    }
    assert client.get("/ranger/losses/new").status_code == 200
    form["csrf_token"] = csrf_token(client, "/ranger/losses/new")
    bad = client.post(
        "/ranger/losses/new",
        data={**form, "photos": (io.BytesIO(b"%PDF-1.4 not an image"), "fire.jpg")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400 and "JPEG or PNG" in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Loss)) == 0
    good = client.post(
        "/ranger/losses/new",
        data={**form, "photos": (io.BytesIO(_jpeg()), "fire.jpg")},
        content_type="multipart/form-data",
    )
    assert good.status_code == 302
    loss = db.session.scalar(select(Loss))
    assert loss.cause is LossCause.PESTS and loss.estimated_kg == 1_200 and len(loss.photos) == 1
    # Not public before confirmation.
    assert client.get(f"/loss-photos/{loss.photos[0].id}.jpg").status_code == 404


@pytest.mark.parametrize(
    ("sql", "needle"),
    [
        ("UPDATE issuances SET buffer_held_kg = buffer_held_kg - 1, cancelled_kg = 1", "buffer"),
        ("UPDATE losses SET buffer_kg = buffer_kg - 100, uncovered_kg = 100", "losses row"),
        ("UPDATE serial_ranges SET state = 'buffer' WHERE state = 'cancelled'", "serial_ranges"),
        ("UPDATE allocations SET state = 'retired' WHERE state = 'buffer'", "allocations row"),
        ("UPDATE losses SET status = 'reported', confirmed_by_id = NULL", "losses row"),
    ],
)
def test_registry_verify_catches_tampering_with_buffer_and_losses(
    app, forest, make_user, sql, needle
):
    project, _issuance = forest
    loss = _report(project, make_user("ranger"))
    losses.confirm(db.session, loss, actor=make_user("admin"))
    db.session.commit()
    assert _verify(app).ok
    db.session.rollback()
    with db.engine.begin() as conn:
        conn.execute(text(sql))
    report = _verify(app)
    assert not report.ok
    assert any(needle in p for p in report.problems), report.problems


def test_backfill_takes_older_issuances_buffer_from_unsold_stock(app, on_sale):
    """Migration 0017's data step: an issuance approved before the buffer existed gets its
    share from unsold stock; when less is unsold, what there is, and the gap is recorded."""
    project = make_project("TA-OLD")  # no buffer at approval, as before the migration
    db.session.commit()
    older = on_sale(project, 10_000)
    sold = alloc.reserve(db.session, project, 9_000, "sold", hold=HOLD)
    alloc.retire(
        db.session, sold, alloc.Beneficiary(name="甲", privacy=Privacy.FULL, purpose=Purpose.GIFT)
    )
    roomy = on_sale(project, 5_000, vintage=2025)
    project.risk_rating = RiskRating.MEDIUM
    db.session.commit()
    buffer.backfill(db.session)
    db.session.commit()
    db.session.refresh(older)
    db.session.refresh(roomy)
    # older: 2,000 wanted, 1,000 unsold → 1,000 withheld, 1,000 short; roomy: 1,000 of 5,000.
    assert (older.buffer_held_kg, older.available_kg) == (1_000, 0)
    assert (roomy.buffer_held_kg, roomy.available_kg) == (1_000, 4_000)
    entries = [
        e.body for e in db.session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "buffer"))
    ]
    assert any('"shortfall_kg":1000' in b and '"reason":"migration"' in b for b in entries)
    assert _adds_up(queries.project_counters(db.session)[project.id])
    buffer.backfill(db.session)  # idempotent
    db.session.commit()
    assert (
        db.session.scalar(
            select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "buffer")
        )
        == 2
    )
    assert _verify(app).ok


def test_staff_reject_and_resolve_on_the_admin_page(app, client, auth, forest, make_user, english):
    project, _issuance = forest
    make_user("admin", email="staff@example.cn")
    mistaken = _report(project, make_user("ranger"), tonnes="0.5")
    stopping = _report(project, make_user("ranger"), tonnes="2.5")
    losses.confirm(db.session, stopping, actor=make_user("admin"))
    db.session.commit()
    auth.login("staff@example.cn")
    token = csrf_token(client, "/admin/losses")
    refused = client.post(f"/admin/losses/{mistaken.id}/reject", data={"csrf_token": token})
    assert refused.status_code == 303
    assert "Please say why" in client.get("/admin/losses").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Loss, mistaken.id).status is LossStatus.REPORTED
    client.post(
        f"/admin/losses/{mistaken.id}/reject", data={"csrf_token": token, "note": "重复报告"}
    )
    db.session.expire_all()
    assert db.session.get(Loss, mistaken.id).status is LossStatus.REJECTED
    client.post(
        f"/admin/losses/{stopping.id}/resolve", data={"csrf_token": token, "note": "补植完成"}
    )
    db.session.expire_all()
    resolved = db.session.get(Loss, stopping.id)
    assert resolved.status is LossStatus.RESOLVED and not resolved.sales_stopped
    # Rejected reports never appear in public; the resolved loss stays, with its cover.
    api = client.get("/api/v1/registry/losses").get_json()["losses"]
    assert [(x["ref"], x["status"], x["stock_kg"]) for x in api] == [
        (stopping.ref, "resolved", 500)
    ]
    assert _verify(app).ok


def test_the_project_form_records_a_risk_rating(app, make_user):
    data = projects.ProjectData(
        code="TA-HI",
        name_zh="高风险",
        name_en="High risk",
        type=ProjectType.AFFORESTATION,
        instrument=SinkInstrument.CCER,
        province="CN-SD",
        city_zh="泰安市",
        city_en="Tai'an",
        county_zh="",
        county_en="",
        latitude=None,
        longitude=None,
        area_mu=Decimal("100"),
        developer_zh="林场",
        developer_en="Farm",
        methodology="CCER-14-001-V01",
        crediting_start=date(2024, 1, 1),
        crediting_end=None,
        risk_rating=RiskRating.HIGH,
    )
    project = projects.create(db.session, data, actor=make_user("admin"))
    db.session.commit()
    assert project.risk_rating is RiskRating.HIGH
    assert buffer.percent_for(project) == 30
