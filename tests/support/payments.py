"""Offset orders placed through the pages (plain helpers)."""

from __future__ import annotations

import re

from tests.support.app import csrf_token
from webapp.extensions import db
from webapp.models import Order
from webapp.services import orders

STRIPE_WEBHOOK_SECRET = "whsec_test_tanhui"


def offset_form(client, **fields) -> dict[str, str]:
    data = {
        "csrf_token": csrf_token(client, "/offset"),
        "project": "TA-CLS",
        "tonnes": "2.4",
        "beneficiary_name": "林小树",
        "privacy": "initials",
        "purpose": "household_year",
        "purpose_detail": "",
        "method": "demo",
        "confirm": "1",
    }
    data.update({k: str(v) for k, v in fields.items()})
    return data


def start_order(client, **fields) -> Order:
    response = client.post("/offset", data=offset_form(client, **fields))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    ref = re.search(r"/orders/(TH[0-9A-Z]{8})", response.headers["Location"]).group(1)
    return orders.find(db.session, ref)


def fresh(order: Order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def pay_with_demo(client, order):
    """Pay ``order`` with the demo provider's button, as the buyer would."""
    token = csrf_token(client, f"/pay/demo/{order.provider_session_id}")
    client.post(f"/pay/demo/{order.provider_session_id}/pay", data={"csrf_token": token})
    return fresh(order)


def as_admin(auth, make_user, email="staff1@example.cn"):
    """Log in as a new administrator."""
    make_user("admin", email=email)
    auth.logout()
    auth.login(email)


def parallel(app, count, request):
    """Run ``request()`` in ``count`` threads released together; their results."""
    import threading

    barrier = threading.Barrier(count)
    results: list = []
    lock = threading.Lock()

    def run() -> None:
        with app.app_context():
            result = None
            try:
                barrier.wait(timeout=30)
                result = request()
            finally:
                db.session.remove()
                with lock:
                    results.append(result)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def donate_form(client, site_code: str = "CLS-JN", **fields) -> dict[str, str]:
    """The donation page's form (捐资造林), confirmed; ``fields`` override."""
    data = {
        "csrf_token": csrf_token(client, f"/sites/{site_code}/donate"),
        "preset": "60",
        "amount": "",
        "donor_name": "林小树",
        "privacy": "anonymous",
        "method": "demo",
        "confirm": "1",
    }
    data.update({k: str(v) for k, v in fields.items()})
    return data


def start_donation(client, site_code: str = "CLS-JN", **fields) -> Order:
    response = client.post(
        f"/sites/{site_code}/donate", data=donate_form(client, site_code, **fields)
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    ref = re.search(r"/orders/(TH[0-9A-Z]{8})", response.headers["Location"]).group(1)
    return orders.find(db.session, ref)
