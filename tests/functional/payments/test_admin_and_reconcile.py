"""Refunds, bank transfers with two staff members, reconcile, admin lists — demo provider."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from tests.support.app import csrf_token
from tests.support.payments import as_admin, fresh, offset_form, pay_with_demo, start_order
from webapp.extensions import db
from webapp.models import (
    AllocationState,
    AuditRecord,
    Certificate,
    CertificateStatus,
    DemoCheckout,
    Issuance,
    LedgerEntry,
    Order,
    OrderStatus,
    User,
)


def test_refund_reverses_registry_and_revokes_certificate(client, credits, buyer, auth, make_user):
    order = pay_with_demo(client, start_order(client))
    assert order.status is OrderStatus.PAID
    as_admin(auth, make_user)
    page = f"/admin/orders/{order.ref}"
    # No reason: refused, nothing changes.
    r = client.post(
        f"{page}/refund",
        data={"confirmed": "1", "csrf_token": csrf_token(client, page), "reason": " "},
    )
    assert r.status_code == 303
    assert fresh(order).status is OrderStatus.PAID
    r = client.post(
        f"{page}/refund",
        data={"confirmed": "1", "csrf_token": csrf_token(client, page), "reason": "buyer asked"},
    )
    assert r.status_code == 302
    order = fresh(order)
    assert order.status is OrderStatus.REFUNDED
    assert order.allocation.state is AllocationState.REVERSED
    assert db.session.scalars(select(Issuance)).one().retired_kg == 0
    certificate = db.session.scalars(select(Certificate)).one()
    assert certificate.status is CertificateStatus.REVOKED
    assert db.session.get(DemoCheckout, order.provider_session_id).refunded_fen == 19200
    assert (
        db.session.scalar(
            select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "reversal")
        )
        == 1
    )
    # Refunding again is a no-op, not a second reversal.
    client.post(
        f"{page}/refund",
        data={"confirmed": "1", "csrf_token": csrf_token(client, page), "reason": "again"},
    )
    assert (
        db.session.scalar(
            select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "reversal")
        )
        == 1
    )


def test_only_admins_reach_admin_orders(client, credits, buyer):
    order = start_order(client)
    assert client.get("/admin/orders").status_code in (302, 403)
    assert client.get(f"/admin/orders/{order.ref}").status_code in (302, 403)


def test_bank_transfer_needs_two_staff_members(app, client, credits, make_user, auth):
    make_user("organiser", email="org@example.cn")
    auth.login("org@example.cn")
    # Without the invoice title: refused with a message, nothing reserved.
    r = client.post("/offset", data=offset_form(client, method="bank_transfer"))
    assert r.status_code == 400
    assert "发票抬头" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    order = start_order(
        client, method="bank_transfer", invoice_title="泰安市某某公司", invoice_tax_id="91370900X"
    )
    assert order.provider_session_id is None and order.status is OrderStatus.PENDING
    detail = client.get(f"/orders/{order.ref}").get_data(as_text=True)
    assert order.ref in detail and "¥192.00" in detail

    as_admin(auth, make_user, "first@example.cn")
    page = f"/admin/orders/{order.ref}"
    wrong = {"csrf_token": csrf_token(client, page), "amount": "190.00", "reference": "B1"}
    client.post(f"{page}/transfer/record", data=wrong)
    assert fresh(order).transfer_recorded_by_id is None
    good = {"csrf_token": csrf_token(client, page), "amount": "192.00", "reference": "B1"}
    client.post(f"{page}/transfer/record", data=good)
    assert fresh(order).transfer_recorded_by_id is not None
    # The recorder cannot confirm their own record.
    client.post(f"{page}/transfer/confirm", data={"csrf_token": csrf_token(client, page)})
    assert fresh(order).status is OrderStatus.PENDING

    as_admin(auth, make_user, "second@example.cn")
    client.post(f"{page}/transfer/confirm", data={"csrf_token": csrf_token(client, page)})
    order = fresh(order)
    assert order.status is OrderStatus.PAID
    assert order.allocation.state is AllocationState.RETIRED
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
    # The paid order keeps both staff members (locking it for fulfilment must not drop the
    # confirmation), so the database's four-eyes CHECK guards it.
    first = db.session.scalar(select(User.id).where(User.email == "first@example.cn"))
    second = db.session.scalar(select(User.id).where(User.email == "second@example.cn"))
    assert (order.transfer_recorded_by_id, order.transfer_confirmed_by_id) == (first, second)
    assert order.transfer_recorded_at is not None and order.transfer_confirmed_at is not None
    with pytest.raises(IntegrityError, match="transfer_four_eyes"):
        db.session.execute(
            update(Order).where(Order.id == order.id).values(transfer_confirmed_by_id=first)
        )
        db.session.flush()
    db.session.rollback()
    # The receipt goes out after the confirmation's commit (the task runs in-process here).
    (receipt,) = Path(app.config["MAIL_OUTBOX"]).glob("*.eml")
    assert order.ref in receipt.read_text(encoding="utf-8")


def test_residents_cannot_pay_by_transfer(client, credits, buyer):
    r = client.post("/offset", data=offset_form(client, method="bank_transfer", invoice_title="X"))
    assert r.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0


def test_reconcile_settles_a_payment_whose_event_was_lost(client, credits, buyer, runner):
    order = start_order(client)
    # The provider took the money but its notification never arrived.
    checkout = db.session.get(DemoCheckout, order.provider_session_id)
    checkout.status, checkout.payment_status = "complete", "paid"
    db.session.commit()
    result = runner.invoke(args=["payments", "reconcile", "--older-than", "0"])
    assert result.exit_code == 0, result.output
    assert f"{order.ref}: fulfilled" in result.output
    assert fresh(order).status is OrderStatus.PAID
    again = runner.invoke(args=["payments", "reconcile", "--older-than", "0"])
    assert "nothing pending" in again.output
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1


def test_reconcile_expires_unpaid_orders_past_their_hold(client, credits, buyer, runner):
    order = start_order(client)
    order.expires_at = order.created_at - timedelta(minutes=1)
    db.session.commit()
    result = runner.invoke(args=["payments", "reconcile"])
    assert f"{order.ref}: expired" in result.output
    order = fresh(order)
    assert order.status is OrderStatus.EXPIRED
    assert order.allocation.state is AllocationState.EXPIRED
    assert db.session.get(DemoCheckout, order.provider_session_id).status == "expired"
    assert db.session.scalars(select(Issuance)).one().reserved_kg == 0


def test_late_payment_after_expiry_is_honoured(client, credits, buyer, runner):
    order = start_order(client)
    order.expires_at = order.created_at - timedelta(minutes=1)
    db.session.commit()
    runner.invoke(args=["payments", "reconcile"])
    assert fresh(order).status is OrderStatus.EXPIRED
    # The provider later reports the money was taken after all.
    checkout = db.session.get(DemoCheckout, order.provider_session_id)
    checkout.status, checkout.payment_status = "complete", "paid"
    db.session.commit()
    # An asynchronous payment method reports success after the hold lapsed: its event
    # (async_payment_succeeded) goes through settle(), like any other confirmation.
    from webapp.services import keys
    from webapp.services.payments import notifications as events
    from webapp.services.payments.demo_provider import DemoProvider

    provider = DemoProvider(client.application.config)
    key, _ = keys.signing(client.application.config)
    outcome = events.settle(db.session, provider, fresh(order), key=key, source="test")
    db.session.commit()
    assert outcome.result == "fulfilled"
    order = fresh(order)
    assert order.status is OrderStatus.PAID
    assert order.allocation.state is AllocationState.RETIRED
    assert order.allocation.holder_ref == f"{order.ref}-late"


def test_admin_csv_lists_orders_without_private_names(client, credits, buyer, auth, make_user):
    paid = pay_with_demo(client, start_order(client))
    formula = pay_with_demo(
        client, start_order(client, beneficiary_name="=HYPERLINK(1)", privacy="full")
    )
    start_order(client, tonnes="1")
    as_admin(auth, make_user)
    r = client.get("/admin/orders.csv?status=paid")
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "订单" and len(rows) == 3  # headings in the reader's language
    by_ref = {row[0]: row for row in rows[1:]}
    assert by_ref[paid.ref][9] == "林**"
    # A name that a spreadsheet would run as a formula is neutralised.
    assert by_ref[formula.ref][9] == "'=HYPERLINK(1)"
    assert len(client.get("/admin/orders.csv").get_data(as_text=True).splitlines()) == 4
    assert client.get("/admin/orders?status=pending").status_code == 200
    assert db.session.scalar(select(func.count()).select_from(AuditRecord)) > 0
