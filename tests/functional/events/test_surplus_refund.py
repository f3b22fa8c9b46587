"""A true-up below what the organiser retired: the surplus is refunded (多退).

Service level (``services/events/surplus``) and through the pages: exact kilograms and
Decimal money, counters, the allocation's ranges, the partial reversal entry, ``registry
verify``, the certificate revoked and re-issued, coverage and badge, idempotency, and the
bank-transfer request completed by staff.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

import pytest
from sqlalchemy import func, select

from tests.support.app import AuthActions, csrf_token
from tests.support.events import (
    ESTIMATE,
    SMALLER,
    demo_pay,
    fresh,
    make_event,
    post,
    save_calculation,
    shanghai_today,
    staff_confirm_transfer,
    start_event_order,
    trued_up_below,
)
from webapp.errors import Conflict
from webapp.extensions import db
from webapp.models import (
    AllocationState,
    AuditRecord,
    Certificate,
    CertificateStatus,
    DemoCheckout,
    Event,
    Issuance,
    LedgerEntry,
    Order,
    OrderStatus,
    RangeState,
)
from webapp.services import keys
from webapp.services.certificates import documents
from webapp.services.events import offset_state, surplus
from webapp.services.payments import gateway
from webapp.services.registry import ledger, queries


def _providers(app):
    return lambda method: gateway.provider_for(app.config, method)


def _refund(app, event, actor, expected_kg, **extra):
    key, _keyring = keys.signing(app.config)
    outcome = surplus.refund(
        db.session,
        event,
        actor=actor,
        provider_for=_providers(app),
        key=key,
        expected_kg=expected_kg,
        **extra,
    )
    db.session.commit()
    return outcome


def _reversals() -> list[LedgerEntry]:
    return list(
        db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.kind == "reversal").order_by(LedgerEntry.seq)
        )
    )


def _registry_ok(app, runner) -> None:
    _key, keyring = keys.signing(app.config)
    report = ledger.verify(db.session, keyring)
    assert report.ok, report.problems
    assert queries.counter_mismatches(db.session) == []
    db.session.rollback()
    result = runner.invoke(args=["registry", "verify"])
    assert result.exit_code == 0, result.output


def test_partial_refund_returns_the_surplus_exactly(app, client, runner, credits, organiser, org):
    event, order = trued_up_below(client, organiser, org)
    surplus_kg = event.estimate_kg - event.actual_kg
    old_certificate = db.session.scalars(select(Certificate)).one()
    issuance = db.session.scalars(select(Issuance)).one()
    retired_before = issuance.retired_kg
    (held,) = order.allocation.ranges  # one issuance: one run of serials
    first, last = held.first, held.last
    expected_amount = (order.amount * surplus_kg / order.quantity_kg).quantize(
        Decimal("0.01"), rounding=ROUND_DOWN
    )

    _context, issued_details = documents.build(db.session, old_certificate, app.config)
    found = surplus.offer(db.session, event)
    assert found.order.id == order.id and found.kg == surplus_kg == found.surplus_kg
    assert found.amount == expected_amount
    assert not found.whole_order
    outcome = _refund(app, event, organiser, surplus_kg)
    assert outcome.result == "refunded" and outcome.kg == surplus_kg

    order = fresh(Order, order.id)
    assert order.status is OrderStatus.PAID
    assert order.refunded_kg == surplus_kg and order.retained_kg == event.actual_kg
    assert order.refunded_amount == expected_amount
    assert order.provider_refund_id.startswith("re_demo_")
    checkout = db.session.get(DemoCheckout, order.provider_session_id)
    assert checkout.refunded_fen == int(expected_amount * 100)

    # Registry: the last serials came back, the counters moved, the ranges shrank.
    issuance = db.session.get(Issuance, issuance.id)
    assert issuance.retired_kg == retired_before - surplus_kg
    ranges = sorted(order.allocation.ranges, key=lambda r: r.first)
    assert [(r.first, r.last, r.state) for r in ranges] == [
        (first, last - surplus_kg, RangeState.RETIRED),
        (last - surplus_kg + 1, last, RangeState.RETURNED),
    ]
    assert order.allocation.state is AllocationState.RETIRED
    assert order.allocation.quantity_kg == event.actual_kg
    (entry,) = _reversals()
    body = json.loads(entry.body)
    assert body["ranges"] == [
        {"issuance": issuance.id, "first": last - surplus_kg + 1, "last": last}
    ]
    assert body["quantity_kg"] == surplus_kg and body["remaining_kg"] == event.actual_kg
    _registry_ok(app, runner)

    # The certificate: the old one revoked as superseded, a new one for what remains.
    old = db.session.get(Certificate, old_certificate.id)
    assert old.status is CertificateStatus.REVOKED
    assert old.revocation_reason == f"superseded by partial refund: {outcome.certificate.public_id}"
    new = db.session.get(Certificate, outcome.certificate.id)
    assert new.status is CertificateStatus.VALID and new.kind == "event"
    assert new.quantity_kg == event.actual_kg and new.order_id == order.id
    _context, details = documents.build(db.session, new, app.config)
    assert details.retired_kg == details.footprint_kg == event.actual_kg
    assert len(details.serial_ranges) == 1
    assert details.serial_ranges[0].endswith(f"{first:09d}-{last - surplus_kg:09d}")

    # Coverage and badge: exactly covered, nothing surplus, the refund stated.
    state = offset_state.of(db.session, fresh(Event, event.id))
    assert state.complete and state.surplus_kg == 0 and state.needed_kg == 0
    assert state.organiser_kg == event.actual_kg and state.organiser_refunded_kg == surplus_kg
    assert surplus.offer(db.session, event) is None
    page = client.get(f"/events/{event.code}").get_data(as_text=True)
    assert "零碳会议" in page and details.serial_ranges[0] in page

    # The superseded certificate still shows the serials it covered when it was issued.
    from webapp.services.certificates.coverage import coverage as certificate_coverage

    old_runs = certificate_coverage(db.session, old).runs
    assert [(r.first, r.last) for r in old_runs] == [(first, last)]  # one range, as issued
    new_runs = certificate_coverage(db.session, new).runs
    assert [(r.first, r.last) for r in new_runs] == [(first, last - surplus_kg)]
    # Its revoked copy (a PDF drawn on demand) states exactly what the issued one stated.
    _context, old_details = documents.build(db.session, old, app.config)
    assert old_details == issued_details
    assert old_details.retired_kg == order.quantity_kg > details.retired_kg
    verify_old = client.get(f"/v/{old.public_id}").get_data(as_text=True)
    assert "已撤销" in verify_old or "REVOKED" in verify_old
    assert new.public_id in verify_old and 'id="superseded"' in verify_old
    assert client.get(f"/v/{new.public_id}").status_code == 200
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditRecord)
            .where(AuditRecord.action == "order.partially_refunded")
        )
        == 1
    )


def test_the_same_refund_twice_is_one_refund(app, client, credits, organiser, org):
    event, order = trued_up_below(client, organiser, org)
    surplus_kg = event.estimate_kg - event.actual_kg
    assert _refund(app, event, organiser, surplus_kg).result == "refunded"
    again = _refund(app, fresh(Event, event.id), organiser, surplus_kg)
    assert again.result == "nothing"
    assert len(_reversals()) == 1
    order = fresh(Order, order.id)
    assert order.refunded_kg == surplus_kg
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Certificate)
            .where(Certificate.status == CertificateStatus.VALID)
        )
        == 1
    )


def test_a_refund_never_leaves_the_footprint_uncovered(app, client, credits, organiser, org):
    event, order = trued_up_below(client, organiser, org)
    surplus_kg = event.estimate_kg - event.actual_kg
    # The page showed more than the surplus (stale or forged): refused, nothing changes.
    with pytest.raises(Conflict):
        _refund(app, event, organiser, surplus_kg + 1)
    db.session.rollback()
    assert fresh(Order, order.id).refunded_kg == 0 and _reversals() == []
    # No surplus at all: nothing to refund, whatever is asked.
    _refund(app, event, organiser, surplus_kg)
    assert _refund(app, fresh(Event, event.id), organiser, 1).result == "nothing"
    state = offset_state.of(db.session, fresh(Event, event.id))
    assert state.covered_kg == state.footprint_kg == event.actual_kg


def test_before_the_true_up_nothing_is_offered(app, client, credits, organiser, org):
    event = make_event(org, organiser, ends_on=shanghai_today() - timedelta(days=1))
    manage = f"/events/{event.code}/manage"
    estimate = save_calculation(organiser, ESTIMATE)
    post(client, f"/events/{event.code}/estimate", {"estimate-calculation": estimate.token}, manage)
    demo_pay(client, start_event_order(client, fresh(Event, event.id)))
    assert surplus.offer(db.session, fresh(Event, event.id)) is None
    assert client.get(f"/events/{event.code}/refund-surplus").status_code == 302


def test_members_who_are_not_owners_cannot_refund(app, client, make_user, credits, organiser, org):
    event, _order = trued_up_below(client, organiser, org)
    from webapp.models import MemberRole
    from webapp.services.events import organisations

    member = make_user("organiser", email="member@example.cn", name="成员")
    organisations.add_member(
        db.session, org, actor=organiser, email="member@example.cn", role=MemberRole.MEMBER
    )
    db.session.commit()
    with pytest.raises(Conflict):
        _refund(app, event, member, event.estimate_kg - event.actual_kg)
    db.session.rollback()
    other = app.test_client()
    AuthActions(other).login("member@example.cn")
    assert "refund-surplus" not in other.get(f"/events/{event.code}/manage").get_data(as_text=True)
    assert other.get(f"/events/{event.code}/refund-surplus").status_code == 404


def test_owner_refunds_through_the_pages_and_a_double_click_is_one_refund(
    app, client, credits, organiser, org
):
    event, order = trued_up_below(client, organiser, org)
    surplus_kg = event.estimate_kg - event.actual_kg
    manage = f"/events/{event.code}/manage"
    page = client.get(manage).get_data(as_text=True)
    assert "实际排放低于已抵消量" in page and 'id="refund-surplus"' in page
    confirm = client.get(f"/events/{event.code}/refund-surplus")
    text = confirm.get_data(as_text=True)
    found = surplus.offer(db.session, event)
    assert confirm.status_code == 200 and found.serials[0] in text
    assert f'value="{surplus_kg}"' in text
    token = csrf_token(client, f"/events/{event.code}/refund-surplus")
    for _click in range(2):
        response = client.post(
            f"/events/{event.code}/refund-surplus",
            data={"confirmed": "1", "csrf_token": token, "expected_kg": str(surplus_kg)},
        )
        assert response.status_code == 302
    assert len(_reversals()) == 1
    order = fresh(Order, order.id)
    assert order.refunded_kg == surplus_kg
    page = client.get(manage).get_data(as_text=True)
    assert f'id="refund-{order.ref}"' in page and 'id="refund-surplus"' not in page
    detail = client.get(f"/orders/{order.ref}").get_data(as_text=True)
    new = db.session.scalars(
        select(Certificate).where(Certificate.status == CertificateStatus.VALID)
    ).one()
    assert 'id="order-refunded"' in detail and new.public_id in detail
    receipt = client.get(f"/orders/{order.ref}/receipt").get_data(as_text=True)
    assert 'id="order-refunded"' in receipt and new.public_id in receipt
    # The stored reason ("superseded by partial refund: <id>") is read as a sentence.
    client.set_cookie("lang", "en")
    replaced = f"certificate {new.public_id} replaces this one"
    dashboard = client.get(f"/organisations/{org.id}").get_data(as_text=True)
    assert replaced in dashboard and "superseded by partial refund" not in dashboard
    report = client.get(f"/events/{event.code}/report.csv").get_data(as_text=True)
    assert f"Refunded to the organiser (kg),{surplus_kg}" in report
    assert f"Refunded to the organiser (yuan),{order.refunded_amount:.2f}" in report
    assert replaced in report and "superseded by partial refund" not in report
    client.set_cookie("lang", "zh")
    pdf = client.get(f"/events/{event.code}/report.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    # Bad input changes nothing and says why.
    response = client.post(
        f"/events/{event.code}/refund-surplus",
        data={"confirmed": "1", "csrf_token": token, "expected_kg": "x"},
    )
    assert response.status_code == 302
    assert len(_reversals()) == 1


def test_bank_transfer_refund_is_requested_then_completed_by_staff(
    app, client, credits, organiser, org, admins
):
    app.config["BANK_DEMO"] = True

    event = make_event(org, organiser, ends_on=shanghai_today() - timedelta(days=1))
    manage = f"/events/{event.code}/manage"
    estimate = save_calculation(organiser, ESTIMATE)
    post(client, f"/events/{event.code}/estimate", {"estimate-calculation": estimate.token}, manage)
    response = post(
        client, f"/events/{event.code}/offset", {"confirm": "1", "method": "bank_transfer"}, manage
    )
    assert response.status_code == 302
    order = db.session.scalars(select(Order)).one()
    staff_confirm_transfer(app, order)
    assert fresh(Order, order.id).status is OrderStatus.PAID
    smaller = save_calculation(organiser, SMALLER, label="actual")
    post(client, f"/events/{event.code}/true-up", {"actual-calculation": smaller.token}, manage)
    event = fresh(Event, event.id)
    surplus_kg = event.estimate_kg - event.actual_kg

    # The owner asks: a request, nothing returned yet (the money has not gone back).
    token = csrf_token(client, f"/events/{event.code}/refund-surplus")
    for _click in range(2):
        client.post(
            f"/events/{event.code}/refund-surplus",
            data={"confirmed": "1", "csrf_token": token, "expected_kg": str(surplus_kg)},
        )
    order = fresh(Order, order.id)
    assert order.refund_requested_kg == surplus_kg and order.refunded_kg == 0
    assert _reversals() == []
    assert "已申请退款" in client.get(manage).get_data(as_text=True)

    staff = app.test_client()
    AuthActions(staff).login("maker@example.cn")
    listing = staff.get("/admin/orders?refund_requested=1").get_data(as_text=True)
    assert order.ref in listing
    page = f"/admin/orders/{order.ref}"
    assert 'id="surplus-refund"' in staff.get(page).get_data(as_text=True)
    # Without the bank reference of the transfer back: refused, nothing changes.
    staff.post(
        f"{page}/surplus-refund",
        data={"csrf_token": csrf_token(staff, page), "expected_kg": str(surplus_kg)},
    )
    assert fresh(Order, order.id).refunded_kg == 0 and _reversals() == []
    staff.post(
        f"{page}/surplus-refund",
        data={
            "confirmed": "1",
            "csrf_token": csrf_token(staff, page),
            "expected_kg": str(surplus_kg),
            "reference": "ICBC-R-7",
        },
    )
    order = fresh(Order, order.id)
    assert order.refunded_kg == surplus_kg and order.refund_requested_kg is None
    assert order.provider_refund_id == "bank-transfer:ICBC-R-7"
    assert len(_reversals()) == 1
    listing = staff.get("/admin/orders").get_data(as_text=True)
    assert "已退款" in listing
    csv_text = staff.get("/admin/orders.csv").get_data(as_text=True)
    assert f"{order.refunded_amount:.2f},{surplus_kg}," in csv_text
    assert offset_state.of(db.session, fresh(Event, event.id)).complete


def test_admin_full_refund_after_a_partial_one_returns_the_rest(
    app, client, runner, credits, organiser, org, admins
):
    event, order = trued_up_below(client, organiser, org)
    surplus_kg = event.estimate_kg - event.actual_kg
    first = _refund(app, event, organiser, surplus_kg)
    staff = app.test_client()
    AuthActions(staff).login("maker@example.cn")
    page = f"/admin/orders/{order.ref}"
    remaining = order.amount - fresh(Order, order.id).refunded_amount
    assert f"{remaining:.2f}" in staff.get(page).get_data(as_text=True)
    staff.post(
        f"{page}/refund",
        data={"confirmed": "1", "csrf_token": csrf_token(staff, page), "reason": "取消"},
    )
    order = fresh(Order, order.id)
    assert order.status is OrderStatus.REFUNDED
    assert (order.refunded_kg, order.refunded_amount) == (order.quantity_kg, order.amount)
    checkout = db.session.get(DemoCheckout, order.provider_session_id)
    assert checkout.refunded_fen == order.amount_fen
    partial, full = (json.loads(e.body) for e in _reversals())
    assert partial["quantity_kg"] == first.kg and full["quantity_kg"] == event.actual_kg
    assert db.session.get(Issuance, order.allocation.ranges[0].issuance_id).retired_kg == 0
    assert all(
        c.status is CertificateStatus.REVOKED for c in db.session.scalars(select(Certificate))
    )
    _registry_ok(app, runner)
