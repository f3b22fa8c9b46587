"""The offset journey with the built-in demo provider (no network): order → pay → retire."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from tests.support.app import csrf_token
from tests.support.payments import fresh, offset_form, start_order
from webapp.extensions import db
from webapp.models import (
    AllocationState,
    Certificate,
    Issuance,
    Order,
    OrderStatus,
    PaymentEvent,
)


def _demo_pay(client, order, action="pay"):
    page = client.get(f"/pay/demo/{order.provider_session_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "演示 / DEMO" in html
    token = csrf_token(client, f"/pay/demo/{order.provider_session_id}")
    return client.post(
        f"/pay/demo/{order.provider_session_id}/{action}", data={"csrf_token": token}
    )


def test_preview_shows_price_and_total_without_reserving(client, credits, buyer):
    data = offset_form(client)
    del data["confirm"]
    response = client.post("/offset", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "¥192.00" in html  # 2.4 t × ¥80
    assert "¥80.00" in html
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    assert db.session.scalars(select(Issuance)).one().reserved_kg == 0


def test_order_reserves_and_demo_payment_fulfils_once(client, credits, buyer, app):
    order = start_order(client)
    assert order.status is OrderStatus.PENDING
    assert order.amount == Decimal("192.00")
    assert order.allocation.state is AllocationState.RESERVED
    assert db.session.scalars(select(Issuance)).one().reserved_kg == 2400

    page = client.get(f"/orders/{order.ref}").get_data(as_text=True)
    assert order.checkout_url in page

    response = _demo_pay(client, order)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/orders/{order.ref}/return")
    order = fresh(order)
    assert order.status is OrderStatus.PAID
    assert order.allocation.state is AllocationState.RETIRED
    issuance = db.session.scalars(select(Issuance)).one()
    assert (issuance.reserved_kg, issuance.retired_kg) == (0, 2400)
    certificate = db.session.scalars(select(Certificate)).one()
    assert certificate.order_id == order.id and certificate.quantity_kg == 2400
    assert certificate.holder_public == "林**"

    # Pressing Pay again (a retry, a double click) changes nothing.
    again = client.post(
        f"/pay/demo/{order.provider_session_id}/pay",
        data={"csrf_token": csrf_token(client, f"/orders/{order.ref}")},
    )
    assert again.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
    assert fresh(order).allocation.state is AllocationState.RETIRED
    assert db.session.scalar(select(func.count()).select_from(PaymentEvent)) == 2

    # A receipt went to the buyer's outbox.
    outbox = list(Path(app.config["MAIL_OUTBOX"]).glob("*.eml"))
    assert len(outbox) == 1
    assert order.ref in outbox[0].read_text(encoding="utf-8")


def test_cancel_on_demo_page_releases_the_reservation(client, credits, buyer):
    order = start_order(client)
    _demo_pay(client, order, "cancel")
    order = fresh(order)
    assert order.status is OrderStatus.EXPIRED
    assert order.allocation.state is AllocationState.EXPIRED
    assert db.session.scalars(select(Issuance)).one().reserved_kg == 0


def test_return_page_shows_processing_until_paid(client, credits, buyer):
    order = start_order(client)
    page = client.get(f"/orders/{order.ref}/return")
    assert page.status_code == 200
    assert 'http-equiv="refresh"' in page.get_data(as_text=True)
    assert fresh(order).status is OrderStatus.PENDING  # the browser never marks it paid
    _demo_pay(client, order)
    page = client.get(f"/orders/{order.ref}/return")
    assert page.status_code == 302


def test_other_users_cannot_see_or_cancel_an_order(client, credits, buyer, make_user, auth):
    order = start_order(client)
    make_user("resident", email="other@example.cn")
    auth.logout()
    auth.login("other@example.cn")
    assert client.get(f"/orders/{order.ref}").status_code == 404
    assert client.get(f"/orders/{order.ref}/receipt").status_code == 404
    token = csrf_token(client, "/orders/")
    assert client.post(f"/orders/{order.ref}/cancel", data={"csrf_token": token}).status_code == 404
    assert order.ref not in client.get("/orders/").get_data(as_text=True)
    assert fresh(order).status is OrderStatus.PENDING
