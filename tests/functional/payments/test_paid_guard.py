"""No sequence of requests reaches a paid order without a provider confirmation."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from tests.support.app import csrf_token
from tests.support.calculator import calculate
from tests.support.payments import fresh, offset_form, start_order
from tests.support.stripe_fake import webhook_headers
from webapp.extensions import db
from webapp.models import Certificate, DemoCheckout, FootprintCalculation, OrderStatus
from webapp.services.payments.demo_provider import DemoProvider


def test_browser_requests_alone_never_pay(client, credits, buyer):
    order = start_order(client)
    session_id = order.provider_session_id
    token = csrf_token(client, f"/orders/{order.ref}")
    attempts = [
        client.get(f"/orders/{order.ref}/return?session_id={session_id}&paid=1"),
        client.get(f"/orders/{order.ref}/return?redirect_status=succeeded"),
        client.post(f"/orders/{order.ref}/return", data={"csrf_token": token}),
        client.get(f"/orders/{order.ref}/receipt"),
        client.post(f"/pay/demo/{session_id}/refund", data={"csrf_token": token}),
        client.post(f"/pay/demo/{session_id}/pay"),  # no CSRF token
        client.post(f"/pay/demo/cs_demo_{'0' * 24}/pay", data={"csrf_token": token}),
    ]
    assert [r.status_code for r in attempts] == [200, 200, 405, 404, 404, 400, 404]
    assert fresh(order).status is OrderStatus.PENDING
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0


def test_unsigned_or_self_signed_demo_events_are_refused(client, credits, buyer, app):
    order = start_order(client)
    event = {
        "id": "evt_forged",
        "type": "checkout.session.completed",
        "data": {"object": {"id": order.provider_session_id, "object": "checkout.session"}},
    }
    payload = json.dumps(event).encode()
    provider = DemoProvider(app.config)
    # Signed with a key that is not the app's: refused.
    from webapp.services.payments.providers import SignatureError

    for headers in ({}, webhook_headers(payload, "whsec_guess")):
        try:
            provider.parse_event(payload, headers.get("Stripe-Signature"))
        except SignatureError:
            continue
        raise AssertionError("a forged demo event was accepted")
    # Even a correctly signed event does not pay: the demo checkout itself is unpaid.
    from webapp.services import keys
    from webapp.services.payments import notifications as events

    signed = provider.parse_event(
        payload, webhook_headers(payload, provider.secret)["Stripe-Signature"]
    )
    key, _ = keys.signing(app.config)
    outcome = events.handle(db.session, provider, signed, key=key)
    db.session.commit()
    assert outcome.result == "awaiting"
    assert db.session.get(DemoCheckout, order.provider_session_id).payment_status == "unpaid"
    assert fresh(order).status is OrderStatus.PENDING


def test_the_stripe_webhook_is_closed_without_stripe(client, credits, buyer):
    order = start_order(client)
    response = client.post("/webhooks/stripe", data=b"{}", content_type="application/json")
    assert response.status_code == 404
    assert fresh(order).status is OrderStatus.PENDING


def test_offset_prefilled_from_a_calculation_and_linked_to_it(client, credits, buyer):
    token = calculate(client)
    calc = db.session.scalar(select(FootprintCalculation))
    page = client.get(f"/offset?tonnes=2.4&calculation={token}").get_data(as_text=True)
    assert 'value="2.400"' in page and token in page
    order = start_order(client, calculation=token)
    assert fresh(order).calculation_id == calc.id


def test_bad_quantities_are_refused_with_a_message(client, credits, buyer):
    for tonnes, message in [("0", "0.01"), ("-1", "0.01"), ("abc", ""), ("100001", "100,000")]:
        response = client.post("/offset", data=offset_form(client, tonnes=tonnes))
        assert response.status_code == 400, tonnes
        assert message in response.get_data(as_text=True)
    response = client.post("/offset", data=offset_form(client, tonnes="11"))  # 10 t on sale
    assert response.status_code == 400
    assert "可售" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0
