"""Stripe Checkout end to end with the real ``stripe`` SDK.

Servers: the app's StripeClient talks to ``tests/support/stripe_fake.StripeFake`` (Checkout
Sessions, answered with Stripe's documented JSON), which forwards PaymentIntents, Charges
and Refunds to a real ``localstripe`` process. Webhooks are signed with Stripe's scheme
(``t=…,v1=HMAC-SHA256``) and posted to the app's ``/webhooks/stripe``.
"""

from __future__ import annotations

import threading
import time

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.support.app import csrf_token
from tests.support.payments import STRIPE_WEBHOOK_SECRET, fresh, offset_form, start_order
from tests.support.stripe_fake import deliver, event_payload, webhook_headers
from webapp.extensions import db
from webapp.models import (
    AllocationState,
    AuditRecord,
    Certificate,
    CertificateStatus,
    Issuance,
    LedgerEntry,
    Order,
    OrderStatus,
    PaymentEvent,
)


@pytest.fixture
def stripe_order(stripe_app, client, credits, buyer):
    return start_order(client, method="stripe")


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_checkout_session_is_created_in_cny_with_our_metadata(client, stripe_order, stripe_fake):
    order = stripe_order
    assert order.provider_session_id.startswith("cs_test_")
    session = stripe_fake.session(order.provider_session_id)
    assert session["currency"] == "cny"
    assert session["amount_total"] == 19200
    assert session["payment_method_types"] == ["card", "alipay", "wechat_pay"]
    assert session["metadata"] == {"order_ref": order.ref}
    assert session["client_reference_id"] == order.ref
    creates = [r for r in stripe_fake.requests if r.path == "/v1/checkout/sessions"]
    assert [r.idempotency_key for r in creates] == [f"checkout-{order.ref}"]
    assert order.checkout_url == session["url"]
    assert order.checkout_url in client.get(f"/orders/{order.ref}").get_data(as_text=True)


def test_completed_webhook_fulfils_and_duplicate_is_harmless(client, stripe_order, stripe_fake):
    order = stripe_order
    # The buyer comes back before Stripe's webhook: still processing, not paid.
    page = client.get(f"/orders/{order.ref}/return?session_id={order.provider_session_id}")
    assert page.status_code == 200 and 'http-equiv="refresh"' in page.get_data(as_text=True)
    assert fresh(order).status is OrderStatus.PENDING

    event = stripe_fake.complete(order.provider_session_id)
    status, body = deliver(client, event, STRIPE_WEBHOOK_SECRET)
    assert status == 200 and b'"fulfilled"' in body
    order = fresh(order)
    assert order.status is OrderStatus.PAID
    assert order.provider_payment_id.startswith("pi_")
    assert order.allocation.state is AllocationState.RETIRED

    status, body = deliver(client, event, STRIPE_WEBHOOK_SECRET)
    assert status == 200 and b'"duplicate"' in body
    assert _count(Certificate) == 1
    assert _count(LedgerEntry, LedgerEntry.kind == "retirement") == 1
    # Now the browser's return shows the result.
    assert client.get(f"/orders/{order.ref}/return").status_code == 302


def test_webhook_before_the_browser_returns(client, stripe_order, stripe_fake):
    order = stripe_order
    deliver(client, stripe_fake.complete(order.provider_session_id), STRIPE_WEBHOOK_SECRET)
    returned = client.get(f"/orders/{order.ref}/return?session_id={order.provider_session_id}")
    assert returned.status_code == 302
    assert returned.headers["Location"].endswith(f"/orders/{order.ref}")
    assert "flash-success" in client.get(f"/orders/{order.ref}").get_data(as_text=True)


def test_expired_after_completed_changes_nothing(client, stripe_order, stripe_fake):
    order = stripe_order
    deliver(client, stripe_fake.complete(order.provider_session_id), STRIPE_WEBHOOK_SECRET)
    late = stripe_fake.event(
        "checkout.session.expired",
        {**stripe_fake.session(order.provider_session_id), "status": "expired"},
    )
    status, body = deliver(client, late, STRIPE_WEBHOOK_SECRET)
    assert status == 200 and b'"not_pending"' in body
    order = fresh(order)
    assert order.status is OrderStatus.PAID
    assert order.allocation.state is AllocationState.RETIRED


def test_expired_session_releases_the_reservation(client, stripe_order, stripe_fake):
    order = stripe_order
    status, _ = deliver(
        client, stripe_fake.expire_now(order.provider_session_id), STRIPE_WEBHOOK_SECRET
    )
    assert status == 200
    order = fresh(order)
    assert order.status is OrderStatus.EXPIRED
    assert order.allocation.state is AllocationState.EXPIRED
    assert db.session.scalars(select(Issuance)).one().reserved_kg == 0


@pytest.mark.parametrize("how", ["wrong secret", "stale timestamp", "no header", "altered body"])
def test_forged_or_stale_signatures_are_refused(client, stripe_order, stripe_fake, how):
    order = stripe_order
    event = stripe_fake.complete(order.provider_session_id)
    payload = event_payload(event)
    headers = webhook_headers(payload, STRIPE_WEBHOOK_SECRET)
    if how == "wrong secret":
        headers = webhook_headers(payload, "whsec_forged")
    elif how == "stale timestamp":
        headers = webhook_headers(payload, STRIPE_WEBHOOK_SECRET, timestamp=int(time.time()) - 3600)
    elif how == "no header":
        headers = {}
    elif how == "altered body":
        payload = payload.replace(order.ref.encode(), b"THXXXXXXXX")
    response = client.post(
        "/webhooks/stripe", data=payload, headers=headers, content_type="application/json"
    )
    assert response.status_code == 400
    assert fresh(order).status is OrderStatus.PENDING
    assert _count(PaymentEvent) == 0
    assert _count(Certificate) == 0


@pytest.mark.parametrize("override", [{"amount_total": 100}, {"currency": "usd"}])
def test_wrong_amount_or_currency_is_not_fulfilled(client, stripe_order, stripe_fake, override):
    order = stripe_order
    event = stripe_fake.complete(order.provider_session_id, **override)
    status, body = deliver(client, event, STRIPE_WEBHOOK_SECRET)
    assert status == 200 and b'"mismatch"' in body
    order = fresh(order)
    assert order.status is OrderStatus.PENDING
    assert order.problem and "expected 19200 cny" in order.problem
    assert order.allocation.state is AllocationState.RESERVED
    assert _count(Certificate) == 0
    assert _count(AuditRecord, AuditRecord.action == "payment.mismatch") == 1


def test_event_body_is_never_trusted_for_money(client, stripe_order, stripe_fake):
    """A correctly signed 'completed' event for a session Stripe says is unpaid does nothing."""
    order = stripe_order
    forged = stripe_fake.event(
        "checkout.session.completed",
        {**stripe_fake.session(order.provider_session_id), "payment_status": "paid"},
    )
    status, body = deliver(client, forged, STRIPE_WEBHOOK_SECRET)
    assert status == 200 and b'"awaiting"' in body
    assert fresh(order).status is OrderStatus.PENDING


def test_events_that_are_not_ours_are_acknowledged(client, stripe_app, stripe_fake):
    other = stripe_fake.event("checkout.session.completed", {"id": "cs_test_someone_else"})
    status, body = deliver(client, other, STRIPE_WEBHOOK_SECRET)
    assert status == 200 and b'"ignored"' in body
    status, body = deliver(
        client, stripe_fake.event("customer.created", {"id": "cus_1"}), STRIPE_WEBHOOK_SECRET
    )
    assert status == 200 and b'"ignored"' in body
    assert _count(PaymentEvent) == 0


def test_async_payment_succeeds_later(client, stripe_order, stripe_fake):
    order = stripe_order
    _status, body = deliver(
        client, stripe_fake.complete_async(order.provider_session_id), STRIPE_WEBHOOK_SECRET
    )
    assert b'"awaiting"' in body and fresh(order).status is OrderStatus.PENDING
    deliver(client, stripe_fake.async_succeeded(order.provider_session_id), STRIPE_WEBHOOK_SECRET)
    assert fresh(order).status is OrderStatus.PAID


def test_async_payment_failure_releases(client, stripe_order, stripe_fake):
    order = stripe_order
    deliver(client, stripe_fake.complete_async(order.provider_session_id), STRIPE_WEBHOOK_SECRET)
    status, body = deliver(
        client, stripe_fake.async_failed(order.provider_session_id), STRIPE_WEBHOOK_SECRET
    )
    assert status == 200 and b'"failed"' in body
    order = fresh(order)
    assert order.status is OrderStatus.FAILED
    assert order.allocation.state is AllocationState.RELEASED


def test_admin_refund_goes_through_stripe_and_its_webhook_is_idempotent(
    client,
    stripe_order,
    stripe_fake,
    make_user,
    auth,
):
    order = stripe_order
    deliver(client, stripe_fake.complete(order.provider_session_id), STRIPE_WEBHOOK_SECRET)
    make_user("admin", email="staff@example.cn")
    auth.logout()
    auth.login("staff@example.cn")
    page = f"/admin/orders/{order.ref}"
    client.post(
        f"{page}/refund",
        data={"confirmed": "1", "csrf_token": csrf_token(client, page), "reason": "误购"},
    )
    order = fresh(order)
    assert order.status is OrderStatus.REFUNDED
    assert order.provider_refund_id.startswith("re_")
    refund = stripe_fake.client().v1.refunds.retrieve(order.provider_refund_id)  # localstripe
    assert refund["status"] == "succeeded" and refund["amount"] == 19200
    assert db.session.scalars(select(Certificate)).one().status is CertificateStatus.REVOKED
    # Stripe then sends charge.refunded: acknowledged, nothing reversed twice.
    status, body = deliver(
        client, stripe_fake.refund_event(order.provider_payment_id), STRIPE_WEBHOOK_SECRET
    )
    assert status == 200 and b'"already_refunded"' in body
    assert _count(LedgerEntry, LedgerEntry.kind == "reversal") == 1


def test_refund_made_in_the_stripe_dashboard_reaches_the_registry(
    client,
    stripe_order,
    stripe_fake,
):
    order = stripe_order
    deliver(client, stripe_fake.complete(order.provider_session_id), STRIPE_WEBHOOK_SECRET)
    order = fresh(order)
    stripe_fake.client().v1.refunds.create({"payment_intent": order.provider_payment_id})
    event = stripe_fake.refund_event(order.provider_payment_id)
    assert deliver(client, event, STRIPE_WEBHOOK_SECRET)[0] == 200
    assert deliver(client, event, STRIPE_WEBHOOK_SECRET)[1].count(b"duplicate") == 1
    order = fresh(order)
    assert order.status is OrderStatus.REFUNDED
    assert order.allocation.state is AllocationState.REVERSED
    assert db.session.scalars(select(Certificate)).one().status is CertificateStatus.REVOKED


def test_stripe_unreachable_reserves_nothing(stripe_app, client, credits, buyer):
    stripe_app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"
    response = client.post("/offset", data=offset_form(client, method="stripe"))
    assert response.status_code == 400
    assert "无法连接支付服务，未预留任何碳汇" in response.get_data(as_text=True)
    assert _count(Order) == 0
    assert db.session.scalars(select(Issuance)).one().reserved_kg == 0


def test_twenty_parallel_deliveries_fulfil_exactly_once(stripe_app, stripe_order, stripe_fake):
    order = stripe_order
    event = stripe_fake.complete(order.provider_session_id)
    payload = event_payload(event)
    headers = webhook_headers(payload, STRIPE_WEBHOOK_SECRET)
    db.session.commit()
    barrier = threading.Barrier(20)
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def deliver_once() -> None:
        with stripe_app.app_context():
            client = FlaskClient(stripe_app)
            barrier.wait(timeout=30)
            response = client.post(
                "/webhooks/stripe", data=payload, headers=headers, content_type="application/json"
            )
            with lock:
                results.append((response.status_code, (response.get_json() or {}).get("result")))

    threads = [threading.Thread(target=deliver_once) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(results) == 20
    assert {status for status, _ in results} == {200}, results
    outcomes = sorted(result for _, result in results)
    assert outcomes.count("fulfilled") == 1, outcomes
    assert set(outcomes) <= {"fulfilled", "duplicate"}
    assert fresh(order).status is OrderStatus.PAID
    assert _count(Certificate) == 1
    assert _count(PaymentEvent) == 1
    assert _count(LedgerEntry, LedgerEntry.kind == "retirement") == 1
    issuance = db.session.scalars(select(Issuance)).one()
    assert (issuance.reserved_kg, issuance.retired_kg) == (0, 2400)


def test_parallel_distinct_events_for_one_order_never_deadlock(
    stripe_app,
    stripe_order,
    stripe_fake,
):
    # Stripe may send checkout.session.completed and a retry under a new event id, while
    # reconcile looks at the same order: each takes the order's row lock first.
    order = stripe_order
    event = stripe_fake.complete(order.provider_session_id)
    payloads = [event_payload({**event, "id": f"{event['id']}_{i}"}) for i in range(12)]
    db.session.commit()
    barrier = threading.Barrier(12)
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def deliver_once(payload: bytes) -> None:
        with stripe_app.app_context():
            client = FlaskClient(stripe_app)
            barrier.wait(timeout=30)
            response = client.post(
                "/webhooks/stripe",
                data=payload,
                headers=webhook_headers(payload, STRIPE_WEBHOOK_SECRET),
                content_type="application/json",
            )
            with lock:
                results.append((response.status_code, (response.get_json() or {}).get("result")))
            db.session.remove()

    threads = [threading.Thread(target=deliver_once, args=(p,)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(results) == 12
    assert {status for status, _ in results} == {200}, results
    outcomes = sorted(result for _, result in results)
    assert outcomes.count("fulfilled") == 1, outcomes
    assert set(outcomes) == {"fulfilled", "already_paid"}, outcomes
    assert _count(Certificate) == 1
    assert _count(PaymentEvent) == 12
