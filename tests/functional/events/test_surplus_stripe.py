"""The surplus refund of a Stripe-paid event order, through the real ``stripe`` SDK against
the local test servers (``tests/support``): the partial refund carries the amount in fen
and a per-step idempotency key; ``charge.refunded`` is our echo (nothing to do), a partial
refund made elsewhere (flagged for staff) or, at last, a full refund (the rest reversed).
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlalchemy import func, select

from tests.support.app import csrf_token
from tests.support.events import (
    ESTIMATE,
    SMALLER,
    fresh,
    make_event,
    post,
    save_calculation,
    shanghai_today,
)
from tests.support.payments import STRIPE_WEBHOOK_SECRET
from tests.support.stripe_fake import deliver
from webapp.extensions import db
from webapp.models import (
    AllocationState,
    AuditRecord,
    Certificate,
    CertificateStatus,
    Event,
    LedgerEntry,
    Order,
    OrderStatus,
)
from webapp.services import keys, orders
from webapp.services.registry import ledger, queries


def _reversals() -> list[dict]:
    return [
        json.loads(body)
        for body in db.session.scalars(
            select(LedgerEntry.body).where(LedgerEntry.kind == "reversal").order_by(LedgerEntry.seq)
        )
    ]


def _registry_ok(app) -> None:
    _key, keyring = keys.signing(app.config)
    assert ledger.verify(db.session, keyring).ok
    assert queries.counter_mismatches(db.session) == []


def test_stripe_partial_refund_echo_foreign_refund_and_final_full_refund(
    stripe_app,
    client,
    stripe_fake,
    credits,
    organiser,
    org,
):
    event = make_event(org, organiser, ends_on=shanghai_today() - timedelta(days=1))
    manage = f"/events/{event.code}/manage"
    estimate = save_calculation(organiser, ESTIMATE)
    post(client, f"/events/{event.code}/estimate", {"estimate-calculation": estimate.token}, manage)
    response = post(
        client, f"/events/{event.code}/offset", {"confirm": "1", "method": "stripe"}, manage
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    ref = re.search(r"/orders/(TH[0-9A-Z]{8})", response.headers["Location"]).group(1)
    order = orders.find(db.session, ref)
    deliver(client, stripe_fake.complete(order.provider_session_id), STRIPE_WEBHOOK_SECRET)
    order = fresh(Order, order.id)
    assert order.status is OrderStatus.PAID
    smaller = save_calculation(organiser, SMALLER, label="actual")
    post(client, f"/events/{event.code}/true-up", {"actual-calculation": smaller.token}, manage)
    event = fresh(Event, event.id)
    surplus_kg = event.estimate_kg - event.actual_kg

    # The owner refunds the surplus: one Stripe refund of the pro-rata amount, in fen.
    token = csrf_token(client, f"/events/{event.code}/refund-surplus")
    for _click in range(2):
        client.post(
            f"/events/{event.code}/refund-surplus",
            data={"confirmed": "1", "csrf_token": token, "expected_kg": str(surplus_kg)},
        )
    order = fresh(Order, order.id)
    assert order.refunded_kg == surplus_kg and order.status is OrderStatus.PAID
    sent = [r for r in stripe_fake.requests if r.path == "/v1/refunds"]
    assert len(sent) == 1
    assert sent[0].idempotency_key == f"refund-{order.ref}-{surplus_kg}"
    assert int(sent[0].params["amount"]) == order.refunded_fen > 0
    assert sent[0].params["payment_intent"] == order.provider_payment_id
    refund = stripe_fake.client().v1.refunds.retrieve(order.provider_refund_id)
    assert (refund.status, refund.amount) == ("succeeded", order.refunded_fen)
    assert len(_reversals()) == 1

    # Stripe's charge.refunded for it: cumulative amount_refunded equals ours, a no-op.
    status, body = deliver(
        client, stripe_fake.refund_event(order.provider_payment_id), STRIPE_WEBHOOK_SECRET
    )
    assert status == 200 and b'"partial_refund_known"' in body
    order = fresh(Order, order.id)
    assert order.problem is None and order.refunded_kg == surplus_kg
    assert len(_reversals()) == 1

    # A partial refund someone made in the Stripe dashboard: flagged, nothing guessed.
    stripe_fake.client().v1.refunds.create(
        {"payment_intent": order.provider_payment_id, "amount": 100}
    )
    status, body = deliver(
        client, stripe_fake.refund_event(order.provider_payment_id), STRIPE_WEBHOOK_SECRET
    )
    assert status == 200 and b'"needs_attention"' in body
    order = fresh(Order, order.id)
    assert order.status is OrderStatus.PAID and order.problem
    assert order.refunded_kg == surplus_kg and len(_reversals()) == 1
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditRecord)
            .where(AuditRecord.action == "order.partial_refund_unapplied")
        )
        == 1
    )
    _registry_ok(stripe_app)

    # Later the rest is refunded in full at Stripe: everything still held is reversed.
    remaining = order.allocation.current_ranges
    stripe_fake.client().v1.refunds.create({"payment_intent": order.provider_payment_id})
    status, body = deliver(
        client, stripe_fake.refund_event(order.provider_payment_id), STRIPE_WEBHOOK_SECRET
    )
    assert status == 200 and b'"refunded"' in body
    order = fresh(Order, order.id)
    assert order.status is OrderStatus.REFUNDED
    assert order.allocation.state is AllocationState.REVERSED
    assert (order.refunded_kg, order.refunded_amount) == (order.quantity_kg, order.amount)
    partial, full = _reversals()
    assert [(r["first"], r["last"]) for r in full["ranges"]] == [
        (r.first, r.last) for r in remaining
    ]
    assert full["quantity_kg"] == event.actual_kg == order.quantity_kg - surplus_kg
    assert partial["quantity_kg"] + full["quantity_kg"] == order.quantity_kg
    assert all(
        c.status is CertificateStatus.REVOKED for c in db.session.scalars(select(Certificate))
    )
    _registry_ok(stripe_app)
