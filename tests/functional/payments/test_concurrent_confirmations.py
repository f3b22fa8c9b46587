"""Concurrent confirmations of one order (a double click, a webhook racing reconcile) are
answered without a server error and fulfil the order once: every path takes the order's
row lock before writing anything that refers to it (``orders.lock``)."""

from __future__ import annotations

import threading

from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.support.app import csrf_token
from tests.support.payments import fresh, start_order
from webapp.extensions import db
from webapp.models import Certificate, LedgerEntry, OrderStatus, PaymentEvent


def _parallel(app, count, request):
    barrier = threading.Barrier(count)
    statuses: list[int] = []
    lock = threading.Lock()

    def run() -> None:
        with app.app_context():
            status = 0
            try:
                barrier.wait(timeout=30)
                status = request()
            finally:
                db.session.remove()
                with lock:
                    statuses.append(status)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return statuses


def test_ten_parallel_demo_payments_fulfil_once_without_errors(app, client, credits, buyer):
    order = start_order(client)
    page = f"/pay/demo/{order.provider_session_id}"
    token = csrf_token(client, page)
    cookie = client.get_cookie("session")
    db.session.commit()

    def pay() -> int:
        browser = FlaskClient(app)
        browser.set_cookie(cookie.key, cookie.value)
        return browser.post(f"{page}/pay", data={"csrf_token": token}).status_code

    statuses = _parallel(app, 10, pay)
    assert statuses == [302] * 10
    order = fresh(order)
    assert order.status is OrderStatus.PAID
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
    retirements = (
        select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "retirement")
    )
    assert db.session.scalar(retirements) == 1
    outcomes = sorted(db.session.scalars(select(PaymentEvent.outcome)))
    assert outcomes.count("fulfilled") == 1
    assert set(outcomes) == {"fulfilled", "already_paid"}, outcomes
