"""A zero-carbon event, its footprints and orders, driven through the pages (plain helpers)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.support.app import AuthActions, csrf_token
from webapp.extensions import db
from webapp.models import CalculationKind, Event, EventKind, Order
from webapp.services import footprint_records, orders
from webapp.services.events import records

# A small meeting: 100 kWh of electricity in Shandong and 3 coach travellers (4 legs of
# 100 km in all) — enough lines to show sources; about 0.1 t.
ESTIMATE = {
    "province": "CN-SD",
    "participants": 40,
    "venue": {"electricity_kwh": "200"},
    "travel": [{"mode": "high_speed_rail", "people": 30, "one_way_km": "400"}],
    "meals": 80,
}
ACTUAL = {
    "province": "CN-SD",
    "participants": 45,
    "venue": {"electricity_kwh": "2600"},
    "meals": 90,
}


def shanghai_today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def make_event(org, organiser, *, ends_on: date | None = None) -> Event:
    today = shanghai_today()
    event = records.create(
        db.session,
        organisation=org,
        actor=organiser,
        draft=records.EventDraft(
            name="2026 泉城低碳论坛",
            kind=EventKind.FORUM,
            starts_on=ends_on or today,
            ends_on=ends_on or today,
            venue="济南国际会展中心",
            city="济南",
            province="CN-SD",
            expected_attendees=40,
        ),
    )
    db.session.commit()
    return event


def save_calculation(user, data, label="estimate"):
    calculation = footprint_records.save(
        db.session, kind=CalculationKind.EVENT, data=data, user=user, label=label
    )
    db.session.commit()
    return calculation


def post(client, path, data, page=None):
    data = dict(data)
    data["csrf_token"] = csrf_token(client, page or path)
    return client.post(path, data=data)


def start_event_order(client, event) -> Order:
    response = post(client, f"/events/{event.code}/offset", {"confirm": "1", "method": "demo"},
                    page=f"/events/{event.code}/manage")  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    match = re.search(r"/orders/(TH[0-9A-Z]{8})", response.headers["Location"])
    assert match, response.headers["Location"]
    return orders.find(db.session, match.group(1))


def demo_pay(client, order) -> None:
    token = csrf_token(client, f"/pay/demo/{order.provider_session_id}")
    response = client.post(f"/pay/demo/{order.provider_session_id}/pay", data={"csrf_token": token})
    assert response.status_code == 302


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def staff_confirm_transfer(app, order) -> None:
    """Two staff (the ``admins`` fixture) record and confirm the order's bank transfer."""
    page = f"/admin/orders/{order.ref}"
    for email, action, data in (
        ("maker@example.cn", "record", {"amount": str(order.amount), "reference": "ICBC-1"}),
        ("checker@x.cn", "confirm", {}),
    ):
        staff = app.test_client()
        AuthActions(staff).login(email)
        staff.post(
            f"{page}/transfer/{action}", data={"csrf_token": csrf_token(staff, page), **data}
        )


SMALLER = {"province": "CN-SD", "participants": 10, "meals": 10}


def trued_up_below(client, organiser, org, *, pay=demo_pay):
    """An ended event: estimate paid in full, then an actual footprint far below it."""
    event = make_event(org, organiser, ends_on=shanghai_today() - timedelta(days=1))
    manage = f"/events/{event.code}/manage"
    estimate = save_calculation(organiser, ESTIMATE)
    post(client, f"/events/{event.code}/estimate", {"estimate-calculation": estimate.token}, manage)
    order = start_event_order(client, fresh(Event, event.id))
    pay(client, order)
    smaller = save_calculation(organiser, SMALLER, label="actual")
    response = post(
        client, f"/events/{event.code}/true-up", {"actual-calculation": smaller.token}, manage
    )
    assert response.status_code == 302
    event = fresh(Event, event.id)
    assert event.actual_kg < event.estimate_kg
    return event, fresh(Order, order.id)
