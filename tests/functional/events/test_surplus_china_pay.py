"""Refunds through WeChat Pay and Alipay, with the real SDKs against the local servers
(``tests/support/wechatpay_fake``, ``alipay_fake``): an event's surplus goes back as a
partial refund (the registry's partial reversal, the event certificate re-issued for what
remains), the provider's refund notice for it changes nothing, then staff refund the rest
in full (the registry reversed, every certificate revoked) and that notice is a no-op too.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

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
from webapp.extensions import db
from webapp.models import (
    AllocationState,
    Certificate,
    CertificateStatus,
    Event,
    LedgerEntry,
    Order,
    OrderStatus,
    PaymentEvent,
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


def _last_outcome() -> str:
    return db.session.scalars(select(PaymentEvent.outcome).order_by(PaymentEvent.id.desc())).first()


def _registry_ok(app) -> None:
    _key, keyring = keys.signing(app.config)
    assert ledger.verify(db.session, keyring).ok
    assert queries.counter_mismatches(db.session) == []


class WeChat:
    method = "wechat_pay"

    def __init__(self, fake) -> None:
        self.fake = fake

    def pay(self, client, order) -> None:
        self.fake.pay(order.ref)
        headers, body = self.fake.payment_notification(order.ref)
        assert client.post("/webhooks/wechatpay", data=body, headers=headers).status_code == 204

    def refunds(self, order) -> list[dict]:
        return [r.body for r in self.fake.requests if r.path == "/v3/refund/domestic/refunds"]

    def refund_key(self, request: dict) -> str:
        return request["out_refund_no"]

    def refund_fen(self, request: dict) -> int:
        return request["amount"]["refund"]

    def notify_refund(self, client, order, key: str) -> None:
        headers, body = self.fake.refund_notification(order.ref, key)
        assert client.post("/webhooks/wechatpay", data=body, headers=headers).status_code == 204


class Alipay:
    method = "alipay"

    def __init__(self, fake) -> None:
        self.fake = fake

    def pay(self, client, order) -> None:
        self.fake.open(client.get(order.checkout_url).headers["Location"])
        self.fake.pay(order.ref)
        answer = client.post("/webhooks/alipay", data=self.fake.payment_notification(order.ref))
        assert answer.get_data(as_text=True) == "success"

    def refunds(self, order) -> list[dict]:
        return [r.biz_content for r in self.fake.requests if r.method == "alipay.trade.refund"]

    def refund_key(self, request: dict) -> str:
        return request["out_request_no"]

    def refund_fen(self, request: dict) -> int:
        return int(Decimal(request["refund_amount"]) * 100)

    def notify_refund(self, client, order, key: str) -> None:
        answer = client.post("/webhooks/alipay", data=self.fake.refund_notification(order.ref))
        assert answer.get_data(as_text=True) == "success"


@pytest.fixture(params=["wechat_pay", "alipay"])
def provider(request, china_pay_app, wechatpay_fake, alipay_fake):
    return WeChat(wechatpay_fake) if request.param == "wechat_pay" else Alipay(alipay_fake)


def test_partial_then_full_refund_through_the_provider(
    china_pay_app, client, provider, credits, organiser, org, make_user, auth
):
    event = make_event(org, organiser, ends_on=shanghai_today() - timedelta(days=1))
    manage = f"/events/{event.code}/manage"
    estimate = save_calculation(organiser, ESTIMATE)
    post(client, f"/events/{event.code}/estimate", {"estimate-calculation": estimate.token}, manage)
    response = post(
        client, f"/events/{event.code}/offset", {"method": provider.method, "confirm": "1"}, manage
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    ref = re.search(r"/orders/(TH[0-9A-Z]{8})", response.headers["Location"]).group(1)
    order = orders.find(db.session, ref)
    provider.pay(client, order)
    order = fresh(Order, order.id)
    assert order.status is OrderStatus.PAID
    first_certificate = db.session.scalars(select(Certificate)).one()

    smaller = save_calculation(organiser, SMALLER, label="actual")
    post(client, f"/events/{event.code}/true-up", {"actual-calculation": smaller.token}, manage)
    event = fresh(Event, event.id)
    surplus_kg = event.estimate_kg - event.actual_kg

    # The surplus goes back: one refund at the provider, in fen, with our step's key.
    token = csrf_token(client, f"/events/{event.code}/refund-surplus")
    for _click in range(2):
        client.post(
            f"/events/{event.code}/refund-surplus",
            data={"confirmed": "1", "csrf_token": token, "expected_kg": str(surplus_kg)},
        )
    order = fresh(Order, order.id)
    assert order.refunded_kg == surplus_kg and order.status is OrderStatus.PAID
    sent = provider.refunds(order)
    assert len(sent) == 1
    assert provider.refund_key(sent[0]) == f"refund-{order.ref}-{surplus_kg}"
    assert provider.refund_fen(sent[0]) == order.refunded_fen > 0
    assert len(_reversals()) == 1
    certificates = db.session.scalars(select(Certificate).order_by(Certificate.id)).all()
    assert len(certificates) == 2
    assert certificates[0].id == first_certificate.id
    assert certificates[0].status is CertificateStatus.REVOKED
    assert certificates[1].status is CertificateStatus.VALID  # re-issued for what remains

    # The provider's notice of that refund: our own, nothing to do.
    provider.notify_refund(client, order, provider.refund_key(sent[0]))
    order = fresh(Order, order.id)
    assert order.problem is None and order.refunded_kg == surplus_kg
    assert len(_reversals()) == 1
    assert _last_outcome() == "partial_refund_known"
    _registry_ok(china_pay_app)

    # Staff refund the rest in full: the provider refunds what is left.
    make_user("admin", email="staff@example.cn")
    auth.logout()
    auth.login("staff@example.cn")
    page = f"/admin/orders/{order.ref}"
    client.post(
        f"{page}/refund",
        data={"csrf_token": csrf_token(client, page), "reason": "取消", "confirmed": "1"},
    )
    order = fresh(Order, order.id)
    assert order.status is OrderStatus.REFUNDED
    assert order.allocation.state is AllocationState.REVERSED
    sent = provider.refunds(order)
    assert len(sent) == 2
    assert provider.refund_key(sent[1]) == f"refund-{order.ref}"
    assert provider.refund_fen(sent[0]) + provider.refund_fen(sent[1]) == order.amount_fen
    assert all(
        c.status is CertificateStatus.REVOKED for c in db.session.scalars(select(Certificate))
    )
    provider.notify_refund(client, order, provider.refund_key(sent[1]))
    assert fresh(Order, order.id).status is OrderStatus.REFUNDED
    assert _last_outcome() == "already_refunded"
    assert len(_reversals()) == 2
    _registry_ok(china_pay_app)
