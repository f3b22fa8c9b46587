"""The Stripe stand-in itself, driven by the real stripe SDK (``client.v1.*``)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import stripe
from flask import Flask, request

from tests.support.localstripe_server import LocalStripe, http_request, start_localstripe
from tests.support.stripe_fake import (
    StripeFake,
    WebhookReceiver,
    deliver,
    event_payload,
    parse_form,
    sign,
)

AMOUNT = 12800 + 2 * 3550
SECRET = "whsec_test_harness"


def create(client: stripe.StripeClient, params: dict[str, Any], key: str = "order-1") -> Any:
    return client.v1.checkout.sessions.create(params, options={"idempotency_key": key})


# -- Checkout Sessions ------------------------------------------------------------------


def test_create_and_retrieve_a_cny_session(
    stripe_client: stripe.StripeClient, stripe_fake: StripeFake, checkout_params: dict[str, Any]
) -> None:
    session = create(stripe_client, checkout_params)

    assert session.object == "checkout.session"
    assert session.id.startswith("cs_test_")
    assert session.url == f"{stripe_fake.url}/c/pay/{session.id}"
    assert (session.amount_subtotal, session.amount_total, session.currency) == (
        AMOUNT,
        AMOUNT,
        "cny",
    )
    assert (session.mode, session.status, session.payment_status) == ("payment", "open", "unpaid")
    assert session.payment_intent is None
    assert session.payment_method_types == ["card", "alipay", "wechat_pay"]
    assert session.client_reference_id == "TH-ORDER-1"
    assert session.metadata == {"order_ref": "TH-ORDER-1"}
    assert session.success_url == checkout_params["success_url"]  # {CHECKOUT_SESSION_ID} kept
    assert session.cancel_url == checkout_params["cancel_url"]
    assert session.expires_at == checkout_params["expires_at"]
    assert session.livemode is False
    assert abs(session.created - time.time()) < 60

    found = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert json.loads(found.last_response.body) == json.loads(session.last_response.body)
    assert stripe_fake.session(session.id)["id"] == session.id

    request = stripe_fake.requests[0]
    assert (request.method, request.path, request.idempotency_key) == (
        "POST",
        "/v1/checkout/sessions",
        "order-1",
    )
    assert request.params["line_items"][1]["price_data"]["unit_amount"] == "3550"
    assert request.params["payment_method_options"] == {"wechat_pay": {"client": "web"}}


def test_line_items_can_be_expanded(
    stripe_client: stripe.StripeClient, checkout_params: dict[str, Any]
) -> None:
    session = create(stripe_client, checkout_params)
    found = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["line_items", "payment_intent"]}
    )
    assert found.payment_intent is None
    assert [(i.description, i.quantity, i.amount_total) for i in found.line_items.data] == [
        ("碳汇 1 吨", 1, 12800),
        ("纪念树", 2, 7100),
    ]


def test_same_idempotency_key_replays_and_a_different_body_is_refused(
    stripe_client: stripe.StripeClient, stripe_fake: StripeFake, checkout_params: dict[str, Any]
) -> None:
    first = create(stripe_client, checkout_params, key="order-7")
    again = create(stripe_client, checkout_params, key="order-7")
    assert again.id == first.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert len(stripe_fake.sessions) == 1

    changed = {**checkout_params, "client_reference_id": "TH-ORDER-2"}
    with pytest.raises(stripe.IdempotencyError) as refused:
        create(stripe_client, changed, key="order-7")
    assert refused.value.http_status == 400
    assert refused.value.json_body["error"]["type"] == "idempotency_error"

    other = create(stripe_client, changed, key="order-8")
    assert other.id != first.id


def test_a_failed_validation_does_not_burn_the_idempotency_key(
    stripe_client: stripe.StripeClient, checkout_params: dict[str, Any]
) -> None:
    with pytest.raises(stripe.InvalidRequestError):
        create(stripe_client, {**checkout_params, "expires_at": int(time.time()) + 60}, key="k")
    assert create(stripe_client, checkout_params, key="k").status == "open"


def _without_line_item_currency(params: dict[str, Any]) -> dict[str, Any]:
    items = json.loads(json.dumps(params["line_items"]))
    del items[0]["price_data"]["currency"]
    return {**params, "line_items": items}


@pytest.mark.parametrize(
    ("change", "param"),
    [
        (_without_line_item_currency, "line_items[0][price_data][currency]"),
        (lambda p: {**p, "currency": "usd"}, "currency"),
        (lambda p: {**p, "expires_at": int(time.time()) + 20 * 60}, "expires_at"),
        (lambda p: {**p, "expires_at": int(time.time()) + 25 * 3600}, "expires_at"),
        (lambda p: {**p, "payment_method_types": ["card", "bitcoin"]}, "payment_method_types[1]"),
        (
            lambda p: {**p, "payment_method_options": {}},
            "payment_method_options[wechat_pay][client]",
        ),
        (
            lambda p: {**p, "payment_method_options": {"wechat_pay": {"client": "tv"}}},
            "payment_method_options[wechat_pay][client]",
        ),
        (lambda p: {**p, "paymentmethod_types": ["card"]}, "paymentmethod_types"),
        (lambda p: {k: v for k, v in p.items() if k != "mode"}, "mode"),
        (lambda p: {**p, "line_items": []}, "line_items"),
        (lambda p: {**p, "expires_at": "soon"}, "expires_at"),
        (lambda p: {**p, "metadata": {"k" * 41: "v"}}, "metadata"),
    ],
    ids=[
        "no-currency",
        "currency-mismatch",
        "expires-too-soon",
        "expires-too-late",
        "unknown-method",
        "wechat-without-client",
        "wechat-bad-client",
        "unknown-param",
        "no-mode",
        "no-line-items",
        "expires-not-int",
        "metadata-key-too-long",
    ],
)
def test_stripe_refuses_what_it_would_refuse(
    stripe_client: stripe.StripeClient,
    stripe_fake: StripeFake,
    checkout_params: dict[str, Any],
    change: Any,
    param: str,
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.checkout.sessions.create(change(checkout_params))
    assert refused.value.http_status == 400
    assert refused.value.param == param
    assert refused.value.json_body["error"]["type"] == "invalid_request_error"
    assert stripe_fake.sessions == {}


def test_alipay_cannot_take_a_currency_it_does_not_support(
    stripe_client: stripe.StripeClient, checkout_params: dict[str, Any]
) -> None:
    items = json.loads(json.dumps(checkout_params["line_items"]))
    for item in items:
        item["price_data"]["currency"] = "brl"
    params = {**checkout_params, "currency": "brl", "line_items": items}
    params["payment_method_types"] = ["card", "alipay"]
    with pytest.raises(stripe.InvalidRequestError, match="alipay supports only"):
        stripe_client.v1.checkout.sessions.create(params)


def test_unknown_session_is_a_stripe_404(stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe_client.v1.checkout.sessions.retrieve("cs_test_nope")
    assert missing.value.http_status == 404
    assert missing.value.code == "resource_missing"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.checkout.sessions.expire("cs_test_nope")


def test_keys_are_required_and_live_keys_refused(
    stripe_fake: StripeFake, checkout_params: dict[str, Any]
) -> None:
    with pytest.raises(stripe.AuthenticationError):
        stripe_fake.client("sk_live_123").v1.checkout.sessions.create(checkout_params)
    status, _, body = http_request(stripe_fake.url, "GET", "/v1/checkout/sessions/cs_x")
    assert status == 401
    assert "API key" in json.loads(body)["error"]["message"]


def test_expire_an_open_session_once(
    stripe_client: stripe.StripeClient, stripe_fake: StripeFake, checkout_params: dict[str, Any]
) -> None:
    session = create(stripe_client, checkout_params)
    expired = stripe_client.v1.checkout.sessions.expire(session.id)
    assert (expired.status, expired.payment_status, expired.url) == ("expired", "unpaid", None)
    assert stripe_fake.events_of_type("checkout.session.expired")[0]["data"]["object"]["id"] == (
        session.id
    )
    with pytest.raises(stripe.InvalidRequestError, match='status of "expired"'):
        stripe_client.v1.checkout.sessions.expire(session.id)
    with pytest.raises(ValueError, match="not open"):
        stripe_fake.complete(session.id)


def test_expire_now_gives_the_expired_event(
    stripe_client: stripe.StripeClient, stripe_fake: StripeFake, checkout_params: dict[str, Any]
) -> None:
    session = create(stripe_client, checkout_params)
    event = stripe_fake.expire_now(session.id)
    assert event["type"] == "checkout.session.expired"
    assert event["data"]["object"]["status"] == "expired"
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "expired"


# -- payment and refund through localstripe ----------------------------------------------


def test_complete_pays_with_a_real_localstripe_payment_intent_then_refund(
    stripe_client: stripe.StripeClient, stripe_fake: StripeFake, checkout_params: dict[str, Any]
) -> None:
    session = create(stripe_client, checkout_params)
    event = stripe_fake.complete(session.id, method="wechat_pay")

    assert event["object"] == "event"
    assert event["id"].startswith("evt_")
    assert event["type"] == "checkout.session.completed"
    assert event["api_version"] == stripe.api_version
    assert event["livemode"] is False
    paid = event["data"]["object"]
    assert (paid["status"], paid["payment_status"], paid["amount_total"]) == (
        "complete",
        "paid",
        AMOUNT,
    )
    pi_id = paid["payment_intent"]
    assert pi_id.startswith("pi_")

    found = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert (found.status, found.payment_status, found.payment_intent, found.url) == (
        "complete",
        "paid",
        pi_id,
        None,
    )
    expanded = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent"]}
    )
    assert expanded.payment_intent.id == pi_id
    assert expanded.payment_intent.object == "payment_intent"
    status, _, raw = http_request(
        stripe_fake.url,
        "GET",
        f"/v1/checkout/sessions/{session.id}?expand[]=payment_intent",
        headers={"Authorization": "Bearer sk_test_123"},
    )
    assert (status, json.loads(raw)["payment_intent"]["status"]) == (200, "succeeded")

    intent = stripe_client.v1.payment_intents.retrieve(pi_id)  # forwarded to localstripe
    assert (intent.status, intent.amount, intent.currency) == ("succeeded", AMOUNT, "cny")
    assert dict(intent.metadata) == {"order_ref": "TH-ORDER-1"}  # payment_intent_data

    refund = stripe_client.v1.refunds.create(
        {"payment_intent": pi_id, "metadata": {"order_ref": "TH-ORDER-1"}},
        options={"idempotency_key": "refund-TH-ORDER-1"},
    )
    assert (refund.object, refund.status, refund.amount) == ("refund", "succeeded", AMOUNT)
    assert refund.payment_intent == pi_id
    assert dict(refund.metadata) == {"order_ref": "TH-ORDER-1"}
    replay = stripe_client.v1.refunds.create(
        {"payment_intent": pi_id, "metadata": {"order_ref": "TH-ORDER-1"}},
        options={"idempotency_key": "refund-TH-ORDER-1"},
    )
    assert replay.id == refund.id  # the fake's idempotency layer, localstripe has none

    refunded = stripe_fake.refund_event(pi_id)
    assert refunded["type"] == "charge.refunded"
    charge = refunded["data"]["object"]
    assert (charge["object"], charge["payment_intent"], charge["amount"]) == (
        "charge",
        pi_id,
        AMOUNT,
    )
    assert (charge["amount_refunded"], charge["refunded"]) == (AMOUNT, True)
    assert charge["metadata"] == {"order_ref": "TH-ORDER-1"}


def test_partial_refunds_add_up_and_never_exceed_the_charge(
    stripe_client: stripe.StripeClient, stripe_fake: StripeFake, checkout_params: dict[str, Any]
) -> None:
    session = create(stripe_client, checkout_params)
    pi_id = stripe_fake.complete(session.id)["data"]["object"]["payment_intent"]
    first = stripe_client.v1.refunds.create(
        {"payment_intent": pi_id, "amount": 1000}, options={"idempotency_key": "part-1"}
    )
    assert (first.status, first.amount) == ("succeeded", 1000)
    charge = stripe_fake.refund_event(pi_id)["data"]["object"]
    assert (charge["amount"], charge["amount_refunded"], charge["refunded"]) == (
        AMOUNT,
        1000,
        False,
    )
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        stripe_client.v1.refunds.create({"payment_intent": pi_id, "amount": AMOUNT})
    assert too_much.value.code == "amount_too_large" and too_much.value.param == "amount"
    rest = stripe_client.v1.refunds.create({"payment_intent": pi_id})  # what is left
    assert rest.amount == AMOUNT - 1000
    charge = stripe_fake.refund_event(pi_id)["data"]["object"]
    assert (charge["amount_refunded"], charge["refunded"]) == (AMOUNT, True)
    with pytest.raises(stripe.InvalidRequestError) as again:
        stripe_client.v1.refunds.create({"payment_intent": pi_id, "amount": 1})
    assert again.value.code == "charge_already_refunded"


def test_a_tampered_amount_shows_in_event_session_and_charge(
    stripe_client: stripe.StripeClient, stripe_fake: StripeFake, checkout_params: dict[str, Any]
) -> None:
    session = create(stripe_client, checkout_params)
    event = stripe_fake.complete(session.id, amount_total=100, currency="usd")
    assert (event["data"]["object"]["amount_total"], event["data"]["object"]["currency"]) == (
        100,
        "usd",
    )
    found = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert (found.amount_total, found.currency) == (100, "usd")
    intent = stripe_client.v1.payment_intents.retrieve(found.payment_intent)
    assert (intent.amount, intent.currency) == (100, "usd")


def test_complete_refuses_a_method_the_session_does_not_offer(
    stripe_client: stripe.StripeClient, stripe_fake: StripeFake, checkout_params: dict[str, Any]
) -> None:
    session = create(stripe_client, {**checkout_params, "payment_method_types": ["card"]})
    with pytest.raises(ValueError, match="alipay"):
        stripe_fake.complete(session.id, method="alipay")


def test_delayed_payment_succeeds(
    stripe_client: stripe.StripeClient, stripe_fake: StripeFake, checkout_params: dict[str, Any]
) -> None:
    session = create(stripe_client, checkout_params)
    completed = stripe_fake.complete_async(session.id)
    assert completed["type"] == "checkout.session.completed"
    assert completed["data"]["object"]["status"] == "complete"
    assert completed["data"]["object"]["payment_status"] == "unpaid"
    pi_id = completed["data"]["object"]["payment_intent"]
    assert stripe_client.v1.payment_intents.retrieve(pi_id).status == "requires_confirmation"

    succeeded = stripe_fake.async_succeeded(session.id)
    assert succeeded["type"] == "checkout.session.async_payment_succeeded"
    assert succeeded["data"]["object"]["payment_status"] == "paid"
    assert stripe_client.v1.payment_intents.retrieve(pi_id).status == "succeeded"
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"
    with pytest.raises(ValueError, match="no delayed payment"):
        stripe_fake.async_failed(session.id)


def test_delayed_payment_fails(
    stripe_client: stripe.StripeClient, stripe_fake: StripeFake, checkout_params: dict[str, Any]
) -> None:
    session = create(stripe_client, checkout_params)
    pi_id = stripe_fake.complete_async(session.id, method="alipay")["data"]["object"][
        "payment_intent"
    ]
    failed = stripe_fake.async_failed(session.id)
    assert failed["type"] == "checkout.session.async_payment_failed"
    assert failed["data"]["object"]["payment_status"] == "unpaid"
    intent = stripe_client.v1.payment_intents.retrieve(pi_id)
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error.code == "card_declined"


def test_sessions_can_be_listed_by_payment_intent(
    stripe_client: stripe.StripeClient, stripe_fake: StripeFake, checkout_params: dict[str, Any]
) -> None:
    paid = create(stripe_client, checkout_params, key="a")
    create(stripe_client, checkout_params, key="b")
    pi_id = stripe_fake.complete(paid.id)["data"]["object"]["payment_intent"]
    found = stripe_client.v1.checkout.sessions.list({"payment_intent": pi_id})
    assert [s.id for s in found.data] == [paid.id]


def test_other_requests_are_forwarded_and_unknown_urls_are_stripe_errors(
    stripe_client: stripe.StripeClient, stripe_fake: StripeFake
) -> None:
    intent = stripe_client.v1.payment_intents.create(
        {"amount": 500, "currency": "cny", "payment_method": "pm_card_visa", "confirm": True}
    )
    assert intent.status == "succeeded"
    assert stripe_client.v1.payment_intents.retrieve(intent.id).amount == 500
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe_client.v1.payment_intents.retrieve("pi_nope")
    assert missing.value.http_status == 404
    status, _, body = http_request(
        stripe_fake.url, "GET", "/v1/nothing_here", headers={"Authorization": "Bearer sk_test_1"}
    )
    assert status == 404
    assert json.loads(body)["error"]["type"] == "invalid_request_error"


def test_stripe_down_then_back_on_the_same_url(
    stripe_client: stripe.StripeClient, stripe_fake: StripeFake, checkout_params: dict[str, Any]
) -> None:
    url = stripe_fake.url
    stripe_fake.stop()
    try:
        with pytest.raises(stripe.APIConnectionError):
            stripe_client.v1.checkout.sessions.create(checkout_params)
    finally:
        stripe_fake.start()
    assert stripe_fake.url == url
    assert create(stripe_client, checkout_params).status == "open"


def test_the_hosted_page_pays_delivers_and_redirects(
    stripe_client: stripe.StripeClient,
    stripe_fake: StripeFake,
    webhook_receiver: WebhookReceiver,
    checkout_params: dict[str, Any],
) -> None:
    session = create(stripe_client, checkout_params)
    stripe_fake.webhook_url = webhook_receiver.url + "/webhooks/stripe"
    stripe_fake.webhook_secret = SECRET
    path = f"/c/pay/{session.id}"

    status, _, page = http_request(stripe_fake.url, "GET", path)
    assert status == 200
    assert b'id="pay-alipay"' in page
    assert b"199.00 CNY" in page

    status, headers, _ = http_request(
        stripe_fake.url,
        "POST",
        path,
        body=b"method=alipay",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 303
    assert headers["Location"] == f"https://tanhui.test/pay/done?session_id={session.id}"
    assert stripe_fake.session(session.id)["payment_status"] == "paid"

    hook = webhook_receiver.wait_for_event("checkout.session.completed", timeout=5)
    assert hook.path == "/webhooks/stripe"
    event = stripe.Webhook.construct_event(hook.body, hook.headers["stripe-signature"], SECRET)
    assert event.data.object.id == session.id


# -- signatures and delivery -------------------------------------------------------------


def test_sign_is_accepted_by_the_sdk_and_rejects_stale_or_foreign(
    stripe_fake: StripeFake,
) -> None:
    event = stripe_fake.event("checkout.session.completed", {"id": "cs_test_x"})
    payload = event_payload(event)

    verified = stripe.Webhook.construct_event(payload, sign(payload, SECRET), SECRET)
    assert (verified.id, verified.type) == (event["id"], "checkout.session.completed")
    assert (
        stripe_fake.client().construct_event(payload, sign(payload, SECRET), SECRET).id
        == (event["id"])
    )

    stale = sign(payload, SECRET, timestamp=int(time.time()) - 301)
    with pytest.raises(stripe.SignatureVerificationError, match="tolerance"):
        stripe.Webhook.construct_event(payload, stale, SECRET)
    with pytest.raises(stripe.SignatureVerificationError, match="expected signature"):
        stripe.Webhook.construct_event(payload, sign(payload, "whsec_other"), SECRET)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload + b" ", sign(payload, SECRET), SECRET)


def _webhook_app() -> Flask:
    app = Flask(__name__)

    @app.post("/webhooks/stripe")
    def webhook() -> tuple[str, int]:
        try:
            event = stripe.Webhook.construct_event(
                request.get_data(), request.headers.get("Stripe-Signature", ""), SECRET
            )
        except stripe.SignatureVerificationError:
            return "bad signature", 400
        return event.type, 200

    return app


def test_deliver_through_a_flask_test_client(stripe_fake: StripeFake) -> None:
    client = _webhook_app().test_client()
    event = stripe_fake.event("checkout.session.expired", {"id": "cs_test_y"})
    assert deliver(client, event, SECRET) == (200, b"checkout.session.expired")
    assert deliver(client, event, "whsec_wrong")[0] == 400
    assert deliver(client, event, SECRET, timestamp=int(time.time()) - 3600)[0] == 400


def test_deliver_over_http(stripe_fake: StripeFake, webhook_receiver: WebhookReceiver) -> None:
    event = stripe_fake.event("checkout.session.completed", {"id": "cs_test_z"})
    assert deliver(webhook_receiver.url, event, SECRET)[0] == 200
    hook = webhook_receiver.received[0]
    assert hook.path == "/webhooks/stripe"
    assert hook.headers["content-type"].startswith("application/json")
    assert stripe.Webhook.construct_event(hook.body, hook.headers["stripe-signature"], SECRET)


# -- localstripe itself ------------------------------------------------------------------


def test_localstripe_sends_signed_webhooks_but_none_for_refunds(
    localstripe: LocalStripe,
    stripe_client: stripe.StripeClient,
    stripe_fake: StripeFake,
    webhook_receiver: WebhookReceiver,
) -> None:
    localstripe.register_webhook("harness", webhook_receiver.url + "/hooks", SECRET)
    try:
        intent = stripe_client.v1.payment_intents.create(
            {"amount": 4200, "currency": "cny", "payment_method": "pm_card_visa", "confirm": True}
        )
        refund = stripe_client.v1.refunds.create({"payment_intent": intent.id})
        assert refund.status == "succeeded"
        customer = stripe_client.v1.customers.create({"email": "sentinel@example.com"})

        hook = webhook_receiver.wait_for(
            lambda h: (
                h.json()["type"] == "payment_intent.succeeded"
                and h.json()["data"]["object"]["id"] == intent.id
            )
        )
        event = stripe.Webhook.construct_event(hook.body, hook.headers["stripe-signature"], SECRET)
        assert event.data.object.amount == 4200
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(hook.body, hook.headers["stripe-signature"], "whsec_x")

        # Scheduled after the refund, so by the time it arrives a refund event would have too.
        webhook_receiver.wait_for(
            lambda h: (
                h.json()["type"] == "customer.created"
                and h.json()["data"]["object"]["id"] == customer.id
            )
        )
        types = webhook_receiver.event_types()
        assert not [t for t in types if t.startswith(("charge.", "refund."))], types

        refunded = stripe_fake.refund_event(intent.id)  # what the app gets instead
        assert refunded["data"]["object"]["amount_refunded"] == 4200
    finally:
        localstripe.unregister_webhook("harness")


def test_parse_form_reads_stripe_encoding() -> None:
    assert parse_form(
        "line_items[0][price_data][unit_amount]=5&line_items[0][quantity]=2"
        "&payment_method_types[0]=card&payment_method_types[1]=alipay"
        "&metadata[order_ref]=A&expand[]=payment_intent&expand[]=line_items&empty="
    ) == {
        "line_items": [{"price_data": {"unit_amount": "5"}, "quantity": "2"}],
        "payment_method_types": ["card", "alipay"],
        "metadata": {"order_ref": "A"},
        "expand": ["payment_intent", "line_items"],
        "empty": "",
    }


def test_a_localstripe_of_its_own_starts_and_stops_cleanly() -> None:
    server = start_localstripe()
    try:
        assert server.url.startswith("http://127.0.0.1:")
        assert server.request("GET", "/v1/balance")[0] == 200
    finally:
        server.stop()
    assert server.process.returncode is not None
    server.stop()  # idempotent
