"""WeChat Pay (API v3) end to end with the real ``wechatpayv3`` SDK against the local
WeChat Pay (``tests/support/wechatpay_fake``): signed requests and answers, signed and
encrypted notifications posted to ``/webhooks/wechatpay``."""

from __future__ import annotations

import email
import email.policy
import time
from datetime import timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.support.app import csrf_token
from tests.support.payments import fresh, offset_form, parallel, start_order
from tests.support.wechatpay_fake import new_key, private_pem
from webapp.extensions import db
from webapp.models import (
    AllocationState,
    AuditRecord,
    Certificate,
    CertificateStatus,
    LedgerEntry,
    Order,
    OrderStatus,
    PaymentEvent,
)

PHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def deliver(client, notification):
    headers, body = notification
    return client.post("/webhooks/wechatpay", data=body, headers=headers)


@pytest.fixture
def wx_order(china_pay_app, client, credits, buyer):
    return start_order(client, method="wechat_pay")


def test_native_order_shows_a_qr_code_and_the_notification_fulfils(
    client, wx_order, wechatpay_fake
):
    order = wx_order
    trade = wechatpay_fake.trade(order.ref)
    assert trade.trade_type == "NATIVE" and trade.amount == order.amount_fen == 19200
    assert trade.notify_url.endswith("/webhooks/wechatpay")
    assert order.provider_session_id == order.ref
    assert order.checkout_url.startswith("weixin://wxpay/bizpayurl?pr=")
    page = client.get(f"/orders/{order.ref}").get_data(as_text=True)
    assert 'id="wechat-native"' in page and "<svg" in page
    assert client.get(f"/orders/{order.ref}/status").get_json()["status"] == "pending"

    wechatpay_fake.pay(order.ref)
    notification = wechatpay_fake.payment_notification(order.ref)
    response = deliver(client, notification)
    assert response.status_code == 204
    order = fresh(order)
    assert order.status is OrderStatus.PAID
    assert order.provider_payment_id == wechatpay_fake.trade(order.ref).transaction_id
    assert order.allocation.state is AllocationState.RETIRED
    assert client.get(f"/orders/{order.ref}/status").get_json()["status"] == "paid"
    # WeChat Pay delivers again (no answer reached it): a duplicate, nothing more.
    assert deliver(client, notification).status_code == 204
    assert _count(Certificate) == 1
    assert _count(LedgerEntry, LedgerEntry.kind == "retirement") == 1
    assert sorted(db.session.scalars(select(PaymentEvent.outcome))) == ["fulfilled"]


def test_receipt_states_yuan_payee_and_wechat_transaction_number(
    app, client, wx_order, wechatpay_fake
):
    order = wx_order
    app.config["MERCHANT_NAME"] = "泰安市林业碳汇中心"
    wechatpay_fake.pay(order.ref)
    deliver(client, wechatpay_fake.payment_notification(order.ref))
    transaction = wechatpay_fake.trade(order.ref).transaction_id
    page = client.get(f"/orders/{order.ref}/receipt").get_data(as_text=True)
    assert "泰安市林业碳汇中心" in page and "¥192.00" in page and transaction in page
    assert "微信支付" in page
    (mail,) = Path(app.config["MAIL_OUTBOX"]).glob("*.eml")
    message = email.message_from_bytes(mail.read_bytes(), policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "¥192.00" in text and transaction in text and "泰安市林业碳汇中心" in text


def test_english_receipt_also_prints_yuan(
    app, client, china_pay_app, credits, buyer, wechatpay_fake
):
    order = start_order(client, method="wechat_pay")
    order.locale = "en"
    db.session.commit()
    wechatpay_fake.pay(order.ref)
    deliver(client, wechatpay_fake.payment_notification(order.ref))
    (mail,) = Path(app.config["MAIL_OUTBOX"]).glob("*.eml")
    message = email.message_from_bytes(mail.read_bytes(), policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Amount paid: ¥192.00" in text and "CN¥" not in text
    assert "Paid with: WeChat Pay" in text
    assert f"Transaction number: {wechatpay_fake.trade(order.ref).transaction_id}" in text


def test_platform_certificate_mode(app, client, credits, buyer, wechatpay_fake):
    """Merchants still on platform certificates: WECHATPAY_CERT_DIR instead of the key."""
    app.config.update(wechatpay_fake.app_config(certificates=True))
    order = start_order(client, method="wechat_pay")
    wechatpay_fake.pay(order.ref)
    headers, body = wechatpay_fake.payment_notification(order.ref)
    assert headers["Wechatpay-Serial"] == wechatpay_fake.certificate_serial
    assert deliver(client, (headers, body)).status_code == 204
    assert fresh(order).status is OrderStatus.PAID
    forged = wechatpay_fake.payment_notification(order.ref, signing_key=new_key())
    assert deliver(client, forged).status_code == 401


def test_phone_gets_h5_with_the_way_back(china_pay_app, client, credits, buyer, wechatpay_fake):
    client.environ_base["HTTP_USER_AGENT"] = PHONE_UA
    order = start_order(client, method="wechat_pay")
    trade = wechatpay_fake.trade(order.ref)
    assert trade.trade_type == "MWEB"
    assert trade.params["scene_info"]["h5_info"] == {"type": "Wap"}
    assert order.checkout_url.startswith(f"{wechatpay_fake.url}/h5pay/checkmweb?prepay_id=")
    assert "redirect_url=" in order.checkout_url and order.ref in order.checkout_url


def test_requests_are_signed_by_the_merchant(china_pay_app, client, credits, buyer, wechatpay_fake):
    """The local server refuses requests whose signature does not verify: a merchant key
    that is not the one WeChat Pay knows means no checkout, and nothing is reserved."""
    wrong = wechatpay_fake.directory / "wrong_key.pem"
    wrong.write_text(private_pem(new_key()))
    china_pay_app.config["WECHATPAY_PRIVATE_KEY_PATH"] = str(wrong)
    response = client.post("/offset", data=offset_form(client, method="wechat_pay"))
    assert response.status_code == 400
    assert "无法连接支付服务，未预留任何碳汇" in response.get_data(as_text=True)
    assert wechatpay_fake.trades == {}
    assert _count(Order) == 0


@pytest.mark.parametrize(
    "how", ["forged signature", "late", "wrong apiv3 key", "altered body", "no headers"]
)
def test_forged_late_or_unreadable_notifications_are_refused(client, wx_order, wechatpay_fake, how):
    order = wx_order
    wechatpay_fake.pay(order.ref)
    overrides = {
        "forged signature": {"signing_key": new_key()},
        "late": {"timestamp": int(time.time()) - 600},
        "wrong apiv3 key": {"apiv3_key": "0" * 32},
    }.get(how, {})
    headers, body = wechatpay_fake.payment_notification(order.ref, **overrides)
    if how == "altered body":
        body = body.replace(b'"event_type": "TRANSACTION.SUCCESS"', b'"event_type": "X"')
    if how == "no headers":
        headers = {"Content-Type": "application/json"}
    response = client.post("/webhooks/wechatpay", data=body, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["code"] == "FAIL"
    assert fresh(order).status is OrderStatus.PENDING
    assert _count(PaymentEvent) == 0 and _count(Certificate) == 0


def test_replayed_notification_is_a_duplicate(client, wx_order, wechatpay_fake):
    order = wx_order
    wechatpay_fake.pay(order.ref)
    first = wechatpay_fake.payment_notification(order.ref, notification_id="EV-1")
    again = wechatpay_fake.payment_notification(order.ref, notification_id="EV-1")
    other = wechatpay_fake.payment_notification(order.ref, notification_id="EV-2")
    assert [deliver(client, n).status_code for n in (first, again, other)] == [204] * 3
    assert sorted(db.session.scalars(select(PaymentEvent.outcome))) == [
        "already_paid",
        "fulfilled",
    ]
    assert _count(Certificate) == 1


def test_notification_before_payment_is_not_trusted(client, wx_order, wechatpay_fake):
    """Out of order: a properly signed 'success' for a trade WeChat Pay says is unpaid (a
    notice ahead of the payment) changes nothing; the paid one later fulfils."""
    order = wx_order
    early = wechatpay_fake.payment_notification(order.ref)
    assert deliver(client, early).status_code == 204
    assert fresh(order).status is OrderStatus.PENDING
    assert db.session.scalars(select(PaymentEvent.outcome)).one() == "awaiting"
    wechatpay_fake.pay(order.ref)
    assert deliver(client, wechatpay_fake.payment_notification(order.ref)).status_code == 204
    assert fresh(order).status is OrderStatus.PAID


def test_amount_mismatch_is_not_fulfilled(client, wx_order, wechatpay_fake):
    order = wx_order
    wechatpay_fake.pay(order.ref, amount=1)
    assert deliver(client, wechatpay_fake.payment_notification(order.ref)).status_code == 204
    order = fresh(order)
    assert order.status is OrderStatus.PENDING
    assert order.problem and "expected 19200 cny" in order.problem
    assert _count(Certificate) == 0
    assert _count(AuditRecord, AuditRecord.action == "payment.mismatch") == 1


def test_notice_whose_amount_differs_from_the_order_is_not_applied(
    client, wx_order, wechatpay_fake
):
    order = wx_order
    wechatpay_fake.pay(order.ref)
    deliver(client, wechatpay_fake.payment_notification(order.ref, amount=100))
    order = fresh(order)
    assert order.status is OrderStatus.PENDING and "notified 100 cny" in order.problem
    assert _count(Certificate) == 0


def test_late_payment_after_the_order_expired_is_settled_once(client, wx_order, wechatpay_fake):
    """Reconcile closed nothing yet; the order expired locally; the buyer's payment
    arrives late: it is fulfilled from a new reservation (as with Stripe) exactly once."""
    from webapp.services import orders

    order = wx_order
    orders.close_unpaid(db.session, order, OrderStatus.EXPIRED)
    db.session.commit()
    wechatpay_fake.pay(order.ref)
    notification = wechatpay_fake.payment_notification(order.ref)
    assert deliver(client, notification).status_code == 204
    assert deliver(client, notification).status_code == 204
    assert fresh(order).status is OrderStatus.PAID
    assert _count(Certificate) == 1


def test_cancel_closes_the_trade_at_wechat_pay(client, wx_order, wechatpay_fake):
    from tests.support.app import csrf_token

    order = wx_order
    token = csrf_token(client, f"/orders/{order.ref}")
    client.post(f"/orders/{order.ref}/cancel", data={"csrf_token": token})
    assert wechatpay_fake.trade(order.ref).trade_state == "CLOSED"
    assert fresh(order).status is OrderStatus.CANCELLED


def test_refund_made_at_the_merchant_platform_reaches_the_registry(
    client, wx_order, wechatpay_fake
):
    order = wx_order
    wechatpay_fake.pay(order.ref)
    deliver(client, wechatpay_fake.payment_notification(order.ref))
    # A partial refund made by hand in the merchant platform: flagged, nothing guessed.
    wechatpay_fake.refund_at_platform(order.ref, 100, "MP-1")
    deliver(client, wechatpay_fake.refund_notification(order.ref, "MP-1"))
    order = fresh(order)
    assert order.status is OrderStatus.PAID and order.problem
    assert db.session.scalars(select(PaymentEvent.outcome).order_by(PaymentEvent.id)).all() == [
        "fulfilled",
        "needs_attention",
    ]


def test_full_refund_at_the_merchant_platform_reverses_and_revokes(
    client, wx_order, wechatpay_fake
):
    order = wx_order
    wechatpay_fake.pay(order.ref)
    deliver(client, wechatpay_fake.payment_notification(order.ref))
    wechatpay_fake.refund_at_platform(order.ref, order.amount_fen, "MP-ALL")
    notice = wechatpay_fake.refund_notification(order.ref, "MP-ALL")
    assert deliver(client, notice).status_code == 204
    assert deliver(client, notice).status_code == 204  # retried: a duplicate
    order = fresh(order)
    assert order.status is OrderStatus.REFUNDED
    assert order.allocation.state is AllocationState.REVERSED
    assert db.session.scalars(select(Certificate)).one().status is CertificateStatus.REVOKED
    assert _count(LedgerEntry, LedgerEntry.kind == "reversal") == 1


def test_reconcile_queries_wechat_pay_for_a_lost_notification(
    client, wx_order, wechatpay_fake, runner
):
    order = wx_order
    wechatpay_fake.pay(order.ref)  # paid, but the notification never arrived
    result = runner.invoke(args=["payments", "reconcile", "--older-than", "0"])
    assert result.exit_code == 0, result.output
    assert f"{order.ref}: fulfilled" in result.output
    assert fresh(order).status is OrderStatus.PAID


def test_reconcile_closes_a_lapsed_wechat_pay_order(client, wx_order, wechatpay_fake, runner):
    order = wx_order
    order.expires_at = order.created_at - timedelta(minutes=1)
    db.session.commit()
    result = runner.invoke(args=["payments", "reconcile"])
    assert f"{order.ref}: expired" in result.output
    assert wechatpay_fake.trade(order.ref).trade_state == "CLOSED"
    assert fresh(order).status is OrderStatus.EXPIRED


def test_a_refund_wechat_pay_could_not_pay_out_is_flagged(
    client, wx_order, wechatpay_fake, make_user, auth
):
    order = wx_order
    wechatpay_fake.pay(order.ref)
    deliver(client, wechatpay_fake.payment_notification(order.ref))
    make_user("admin", email="staff@example.cn")
    auth.logout()
    auth.login("staff@example.cn")
    page = f"/admin/orders/{order.ref}"
    client.post(
        f"{page}/refund",
        data={"csrf_token": csrf_token(client, page), "reason": "误购", "confirmed": "1"},
    )
    assert fresh(order).status is OrderStatus.REFUNDED
    notice = wechatpay_fake.refund_notification(order.ref, f"refund-{order.ref}", status="ABNORMAL")
    assert deliver(client, notice).status_code == 204
    order = fresh(order)
    assert order.problem and f"refund-{order.ref}" in order.problem
    assert _count(AuditRecord, AuditRecord.action == "order.refund_failed") == 1


@pytest.mark.postgres_only
def test_parallel_notifications_fulfil_once(app, client, wx_order, wechatpay_fake):
    order = wx_order
    wechatpay_fake.pay(order.ref)
    same = wechatpay_fake.payment_notification(order.ref)
    others = [wechatpay_fake.payment_notification(order.ref) for _ in range(4)]
    notifications = [same] * 4 + others
    db.session.commit()
    queue = list(notifications)

    def post() -> int:
        headers, body = queue.pop()
        return FlaskClient(app).post("/webhooks/wechatpay", data=body, headers=headers).status_code

    statuses = parallel(app, len(notifications), post)
    assert statuses == [204] * len(notifications)
    assert fresh(order).status is OrderStatus.PAID
    assert _count(Certificate) == 1
    assert _count(LedgerEntry, LedgerEntry.kind == "retirement") == 1
    outcomes = sorted(db.session.scalars(select(PaymentEvent.outcome)))
    assert outcomes.count("fulfilled") == 1 and len(outcomes) == 5
