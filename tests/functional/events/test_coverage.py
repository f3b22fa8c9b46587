"""No double counting between organiser and attendees; members-only organisation pages."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.support.app import AuthActions, csrf_token
from tests.support.events import (
    ESTIMATE,
    demo_pay,
    fresh,
    post,
    save_calculation,
    start_event_order,
)
from webapp.extensions import db
from webapp.models import Event, Order, OrderKind, OrderStatus
from webapp.services import orders
from webapp.services.events import offset_state


def _attendee_offsets(app, make_user, event):
    make_user("resident", email="att@example.cn", name="李参会")
    phone = app.test_client()
    token = csrf_token(phone, f"/events/{event.code}/survey")
    answered = phone.post(
        f"/events/{event.code}/survey",
        data={"mode": "flight", "one_way_km": "1200", "csrf_token": token},
    )
    assert answered.status_code == 302
    AuthActions(phone).login("att@example.cn")
    thanks = phone.get(f"/events/{event.code}/survey/thanks").get_data(as_text=True)
    assert "抵消我的行程" in thanks
    token = csrf_token(phone, f"/events/{event.code}/survey/thanks")
    response = phone.post(f"/events/{event.code}/offset-my-travel", data={"csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    ref = re.search(r"/orders/(TH[0-9A-Z]{8})", response.headers["Location"]).group(1)
    order = orders.find(db.session, ref)
    assert order.kind is OrderKind.OFFSET and order.event_id == event.id
    demo_pay(phone, order)
    # A second personal offset of the same trip is refused.
    again = phone.post(f"/events/{event.code}/offset-my-travel", data={"csrf_token": token})
    assert again.status_code == 302
    assert len(list(db.session.scalars(select(Order).where(Order.kind == OrderKind.OFFSET)))) == 1
    return fresh(Order, order.id)


def test_attendee_and_organiser_never_cover_the_same_tonnes(
    app, client, make_user, credits, organiser, event
):
    calc = save_calculation(organiser, ESTIMATE)
    post(client, f"/events/{event.code}/estimate", {"estimate-calculation": calc.token},
         page=f"/events/{event.code}/manage")  # fmt: skip
    event = fresh(Event, event.id)
    attendee_order = _attendee_offsets(app, make_user, event)
    assert attendee_order.status is OrderStatus.PAID

    state = offset_state.of(db.session, event)
    assert state.attendees_kg == attendee_order.quantity_kg <= state.travel_kg
    assert state.attendee_people == 1
    assert state.needed_kg == event.estimate_kg - attendee_order.quantity_kg

    order = start_event_order(client, event)
    assert order.quantity_kg == event.estimate_kg - attendee_order.quantity_kg
    assert order.event_cover_kg == order.quantity_kg
    demo_pay(client, order)
    state = offset_state.of(db.session, fresh(Event, event.id))
    assert state.complete and state.covered_kg == event.estimate_kg
    organiser_serials = {(r.first, r.last) for c in state.organiser for r in c.runs}
    attendee_serials = {(r.first, r.last) for c in state.attendees for r in c.runs}
    for a_first, a_last in organiser_serials:
        for b_first, b_last in attendee_serials:
            assert a_last < b_first or b_last < a_first  # distinct serials

    page = client.get(f"/events/{event.code}").get_data(as_text=True)
    assert "（1 人）" in page or "(1 " in page
    # The organiser sees the attendees' tonnes, never their orders.
    dashboard = client.get(f"/organisations/{event.organisation_id}").get_data(as_text=True)
    report = client.get(f"/events/{event.code}/report.csv").get_data(as_text=True)
    assert order.ref in dashboard and order.ref in report
    assert attendee_order.ref not in dashboard and attendee_order.ref not in report
    assert "\n参会者," in report  # the attendees' row, in the reader's language
    assert "零碳会议" in page


def test_attendee_offsets_count_only_up_to_the_travel_lines():
    state = offset_state.EventCoverage(
        footprint_kg=1000,
        actual=False,
        travel_kg=300,
        organiser=(),
        attendees=(),
        attendees_retired_kg=450,
        pending_ref=None,
    )
    assert state.attendees_kg == 300
    assert state.needed_kg == 700 and not state.complete


def test_organisation_pages_are_for_members_only(app, client, make_user, org, event):
    assert client.get(f"/organisations/{org.id}").status_code == 200
    assert client.get(f"/events/{event.code}/manage").status_code == 200
    make_user("resident", email="other@example.cn")
    other = app.test_client()
    AuthActions(other).login("other@example.cn")
    for path in (
        f"/organisations/{org.id}",
        f"/events/{event.code}/manage",
        f"/events/{event.code}/report.csv",
        f"/events/{event.code}/poster.pdf",
        f"/organisations/{org.id}/events/new",
    ):
        assert other.get(path).status_code == 404, path
    assert other.get(f"/events/{event.code}").status_code == 200  # the public page
    token = csrf_token(other, "/events")
    response = other.post(
        f"/events/{event.code}/offset", data={"confirm": "1", "method": "demo", "csrf_token": token}
    )
    assert response.status_code == 404
    assert db.session.scalar(select(Order.id)) is None
