"""Alipay end to end with the real ``python-alipay-sdk`` against the local Alipay gateway
(``tests/support/alipay_fake``): requests signed with the app key and verified there,
answers and notifications signed with Alipay's key (RSA2), posted to ``/webhooks/alipay``."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.support.app import csrf_token
from tests.support.payments import fresh, parallel, start_order
from tests.support.wechatpay_fake import new_key
from webapp.extensions import db
from webapp.models import (
    AllocationState,
    AuditRecord,
    Certificate,
    CertificateStatus,
    LedgerEntry,
    OrderStatus,
    PaymentEvent,
)

BEIJING = timezone(timedelta(hours=8))
PHONE_UA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Mobile Safari/537.36"


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def deliver(client, form):
    return client.post("/webhooks/alipay", data=form)


def go_to_alipay(client, order, alipay_fake) -> str:
    """Follow the order's "Pay now" to Alipay, as the browser would; the cashier page."""
    response = client.get(order.checkout_url)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(alipay_fake.gateway + "?")
    return alipay_fake.open(location)


@pytest.fixture
def ali_order(china_pay_app, client, credits, buyer):
    return start_order(client, method="alipay")


def test_page_pay_then_notification_fulfils_once(client, ali_order, alipay_fake):
    order = ali_order
    assert order.checkout_url == f"/pay/alipay/{order.ref}"
    assert order.provider_session_id == order.ref
    page = go_to_alipay(client, order, alipay_fake)
    assert "id='alipay-pay'" in page and "alipay.trade.page.pay" in page
    trade = alipay_fake.trade(order.ref)
    assert trade.total_amount == "192.00"
    assert trade.notify_url.endswith("/webhooks/alipay")
    assert trade.return_url.endswith(f"/orders/{order.ref}/return")

    alipay_fake.pay(order.ref)
    notification = alipay_fake.payment_notification(order.ref)
    response = deliver(client, notification)
    assert response.status_code == 200 and response.get_data(as_text=True) == "success"
    order = fresh(order)
    assert order.status is OrderStatus.PAID
    assert order.provider_payment_id == trade.trade_no
    assert order.allocation.state is AllocationState.RETIRED
    # Alipay retries the same notice: answered success again, nothing more happens.
    assert deliver(client, notification).get_data(as_text=True) == "success"
    assert _count(Certificate) == 1
    assert _count(LedgerEntry, LedgerEntry.kind == "retirement") == 1
    assert sorted(db.session.scalars(select(PaymentEvent.outcome))) == ["fulfilled"]


def test_phone_is_sent_to_wap_pay(client, ali_order, alipay_fake):
    client.environ_base["HTTP_USER_AGENT"] = PHONE_UA
    page = go_to_alipay(client, ali_order, alipay_fake)
    assert "alipay.trade.wap.pay" in page
    assert alipay_fake.requests[-1].biz_content["product_code"] == "QUICK_WAP_PAY"


def test_only_the_buyer_can_open_the_alipay_checkout(client, ali_order, auth, make_user):
    make_user("resident", email="other@example.cn")
    auth.logout()
    auth.login("other@example.cn")
    assert client.get(ali_order.checkout_url).status_code == 404


def test_a_tampered_pay_request_is_refused_by_alipay(client, ali_order, alipay_fake):
    response = client.get(ali_order.checkout_url)
    tampered = response.headers["Location"].replace("192.00", "1.00")
    assert "check sign fail" in alipay_fake.open(tampered)
    assert alipay_fake.trades == {}


@pytest.mark.parametrize("how", ["forged", "another app", "late", "no sign", "altered"])
def test_forged_late_or_altered_notifications_are_refused(client, ali_order, alipay_fake, how):
    order = ali_order
    go_to_alipay(client, order, alipay_fake)
    alipay_fake.pay(order.ref)
    late = (datetime.now(BEIJING) - timedelta(hours=27)).strftime("%Y-%m-%d %H:%M:%S")
    overrides = {
        "forged": {"signing_key": new_key()},
        "another app": {"app_id": "2021000000009999"},
        "late": {"notify_time": late},
    }.get(how, {})
    form = alipay_fake.payment_notification(order.ref, **overrides)
    if how == "no sign":
        form.pop("sign")
    if how == "altered":
        form["total_amount"] = "1.00"
    response = deliver(client, form)
    assert response.status_code == 400 and response.get_data(as_text=True) == "fail"
    assert fresh(order).status is OrderStatus.PENDING
    assert _count(PaymentEvent) == 0 and _count(Certificate) == 0


def test_notification_for_an_unpaid_trade_changes_nothing(client, ali_order, alipay_fake):
    """Signed by Alipay but ahead of the payment (out of order): the trade is re-queried."""
    order = ali_order
    go_to_alipay(client, order, alipay_fake)
    form = alipay_fake.payment_notification(order.ref, trade_status="TRADE_SUCCESS")
    assert deliver(client, form).get_data(as_text=True) == "success"
    assert fresh(order).status is OrderStatus.PENDING
    assert db.session.scalars(select(PaymentEvent.outcome)).one() == "awaiting"


def test_closed_notice_after_the_payment_changes_nothing(client, ali_order, alipay_fake):
    order = ali_order
    go_to_alipay(client, order, alipay_fake)
    alipay_fake.pay(order.ref)
    closed = alipay_fake.closed_notification(order.ref)
    deliver(client, alipay_fake.payment_notification(order.ref))
    assert deliver(client, closed).get_data(as_text=True) == "success"
    order = fresh(order)
    assert order.status is OrderStatus.PAID
    assert _count(Certificate) == 1


def test_closed_notice_releases_an_unpaid_order(client, ali_order, alipay_fake):
    order = ali_order
    go_to_alipay(client, order, alipay_fake)
    deliver(client, alipay_fake.closed_notification(order.ref))
    order = fresh(order)
    assert order.status is OrderStatus.EXPIRED
    assert order.allocation.state is AllocationState.EXPIRED


def test_amount_paid_differs_from_the_order(client, ali_order, alipay_fake):
    order = ali_order
    go_to_alipay(client, order, alipay_fake)
    alipay_fake.pay(order.ref, amount="1.92")
    assert deliver(client, alipay_fake.payment_notification(order.ref)).status_code == 200
    order = fresh(order)
    assert order.status is OrderStatus.PENDING
    assert "expected 19200 cny" in order.problem
    assert _count(Certificate) == 0
    assert _count(AuditRecord, AuditRecord.action == "payment.mismatch") == 1


def test_cancel_closes_the_trade_at_alipay(client, ali_order, alipay_fake):
    order = ali_order
    go_to_alipay(client, order, alipay_fake)
    token = csrf_token(client, f"/orders/{order.ref}")
    client.post(f"/orders/{order.ref}/cancel", data={"csrf_token": token})
    assert alipay_fake.trade(order.ref).trade_status == "TRADE_CLOSED"
    assert fresh(order).status is OrderStatus.CANCELLED


def test_cancel_before_reaching_alipay(client, ali_order, alipay_fake):
    """No trade at Alipay yet (ACQ.TRADE_NOT_EXIST): the order is cancelled all the same."""
    token = csrf_token(client, f"/orders/{ali_order.ref}")
    client.post(f"/orders/{ali_order.ref}/cancel", data={"csrf_token": token})
    assert fresh(ali_order).status is OrderStatus.CANCELLED
    assert client.get(ali_order.checkout_url).status_code == 302  # back to the order


def test_refunds_made_at_alipay_reach_the_registry(client, ali_order, alipay_fake):
    order = ali_order
    go_to_alipay(client, order, alipay_fake)
    alipay_fake.pay(order.ref)
    deliver(client, alipay_fake.payment_notification(order.ref))
    # A partial refund made by hand at Alipay: cumulative refund_fee above ours, flagged.
    alipay_fake.refund_at_platform(order.ref, "1.00", "MP-1")
    deliver(client, alipay_fake.refund_notification(order.ref))
    order = fresh(order)
    assert order.status is OrderStatus.PAID and order.problem
    # Then the rest: refund_fee reaches the total, a full refund, applied once.
    alipay_fake.refund_at_platform(order.ref, "191.00", "MP-2")
    notice = alipay_fake.refund_notification(order.ref)
    assert deliver(client, notice).get_data(as_text=True) == "success"
    assert deliver(client, notice).get_data(as_text=True) == "success"
    order = fresh(order)
    assert order.status is OrderStatus.REFUNDED
    assert order.allocation.state is AllocationState.REVERSED
    assert db.session.scalars(select(Certificate)).one().status is CertificateStatus.REVOKED
    assert db.session.scalars(select(PaymentEvent.outcome).order_by(PaymentEvent.id)).all() == [
        "fulfilled",
        "needs_attention",
        "refunded",
    ]


def test_reconcile_queries_alipay_and_closes_lapsed_trades(
    client, china_pay_app, credits, buyer, alipay_fake, runner
):
    paid = start_order(client, method="alipay")
    go_to_alipay(client, paid, alipay_fake)
    alipay_fake.pay(paid.ref)  # paid, but the notification never arrived
    lapsed = start_order(client, method="alipay")
    go_to_alipay(client, lapsed, alipay_fake)
    lapsed.expires_at = lapsed.created_at - timedelta(minutes=1)
    db.session.commit()
    result = runner.invoke(args=["payments", "reconcile", "--older-than", "0"])
    assert f"{paid.ref}: fulfilled" in result.output
    assert f"{lapsed.ref}: expired" in result.output
    assert alipay_fake.trade(lapsed.ref).trade_status == "TRADE_CLOSED"
    assert fresh(paid).status is OrderStatus.PAID
    # The buyer comes back to the lapsed order's "Pay now": not sent to Alipay again.
    assert client.get(lapsed.checkout_url).headers["Location"].endswith(f"/orders/{lapsed.ref}")


def test_no_alipay_request_once_the_checkout_has_ended(client, ali_order, alipay_fake):
    """The hold's grace minutes are for a payment already under way, not a new one."""
    order = ali_order
    order.expires_at = datetime.now(BEIJING) + timedelta(minutes=2)
    db.session.commit()
    response = client.get(order.checkout_url)
    assert response.headers["Location"].endswith(f"/orders/{order.ref}")
    assert "付款时间已过" in client.get(f"/orders/{order.ref}").get_data(as_text=True)
    assert alipay_fake.requests == []


@pytest.mark.postgres_only
def test_parallel_notifications_fulfil_once(app, client, ali_order, alipay_fake):
    order = ali_order
    go_to_alipay(client, order, alipay_fake)
    alipay_fake.pay(order.ref)
    same = alipay_fake.payment_notification(order.ref)
    notifications = [same] * 4 + [alipay_fake.payment_notification(order.ref) for _ in range(4)]
    db.session.commit()

    def post() -> str:
        form = notifications.pop()
        return FlaskClient(app).post("/webhooks/alipay", data=form).get_data(as_text=True)

    answers = parallel(app, 8, post)
    assert answers == ["success"] * 8
    assert fresh(order).status is OrderStatus.PAID
    assert _count(Certificate) == 1
    assert _count(LedgerEntry, LedgerEntry.kind == "retirement") == 1
    outcomes = sorted(db.session.scalars(select(PaymentEvent.outcome)))
    assert outcomes.count("fulfilled") == 1 and len(outcomes) == 5
