"""Organiser journey without a browser: estimate → survey → offset → true-up → reports."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import timedelta

from sqlalchemy import select

from tests.support.app import csrf_token
from tests.support.events import (
    ACTUAL,
    ESTIMATE,
    demo_pay,
    fresh,
    make_event,
    post,
    save_calculation,
    shanghai_today,
    staff_confirm_transfer,
    start_event_order,
)
from webapp.extensions import db
from webapp.models import (
    Certificate,
    CertificateStatus,
    Event,
    Order,
    OrderKind,
    OrderStatus,
    SurveyResponse,
    TrueUpRule,
)
from webapp.services.certificates import documents, issuing
from webapp.services.events import offset_state


def _survey(app, event, **fields):
    """One attendee on their own phone (a fresh client: no cookies)."""
    client = app.test_client()
    data = {"mode": "high_speed_rail", "origin": "", "one_way_km": "", "comment": ""}
    data.update(fields)
    data["csrf_token"] = csrf_token(client, f"/events/{event.code}/survey")
    return client, client.post(f"/events/{event.code}/survey", data=data)


def test_estimate_offset_badge_and_certificate(app, client, credits, organiser, event):
    public = client.get(f"/events/{event.code}").get_data(as_text=True)
    assert "2026 泉城低碳论坛" in public and "零碳会议" not in public

    calc = save_calculation(organiser, ESTIMATE)
    manage = f"/events/{event.code}/manage"
    response = post(
        client, f"/events/{event.code}/estimate", {"estimate-calculation": calc.token}, manage
    )
    assert response.status_code == 302
    event = fresh(Event, event.id)
    assert event.estimate_kg is not None and event.estimate_kg > 0
    assert event.estimate_kg >= float(calc.result["total_kg"])  # rounded up, never down

    order = start_event_order(client, event)
    assert order.kind is OrderKind.EVENT and order.event_id == event.id
    assert order.quantity_kg == event.estimate_kg == order.event_cover_kg
    assert order.invoice_title == "济南绿色会展有限公司"
    assert order.beneficiary_name == "济南绿色会展有限公司"
    # A second order cannot be opened while this one awaits payment.
    again = post(client, f"/events/{event.code}/offset", {"confirm": "1", "method": "demo"},
                 page=f"/events/{event.code}/manage")  # fmt: skip
    assert again.status_code == 302
    assert db.session.scalar(select(Order.id).where(Order.id != order.id)) is None

    demo_pay(client, order)
    order = fresh(Order, order.id)
    assert order.status is OrderStatus.PAID
    certificate = db.session.scalars(select(Certificate)).one()
    assert certificate.kind == "event"
    _context, details = documents.build(db.session, certificate, app.config)
    assert details.footprint_kg == details.retired_kg == event.estimate_kg
    assert details.meeting is True and details.serial_ranges
    verify = client.get(f"/v/{certificate.public_id}")
    assert verify.status_code == 200 and "2026 泉城低碳论坛" in verify.get_data(as_text=True)

    page = client.get(f"/events/{event.code}").get_data(as_text=True)
    assert "零碳会议" in page
    assert details.serial_ranges[0] in page

    # The badge goes when the certificate is revoked.
    issuing.revoke(db.session, certificate, reason="test", actor=None)
    db.session.commit()
    page = client.get(f"/events/{event.code}").get_data(as_text=True)
    assert "零碳会议（零碳会议）" not in page and "zero-badge" not in page


def test_true_up_with_survey_tops_up_the_difference(app, client, credits, organiser, org):
    event = make_event(org, organiser, ends_on=shanghai_today() - timedelta(days=1))
    estimate = save_calculation(organiser, ESTIMATE)
    post(client, f"/events/{event.code}/estimate", {"estimate-calculation": estimate.token},
         page=f"/events/{event.code}/manage")  # fmt: skip
    order = start_event_order(client, fresh(Event, event.id))
    demo_pay(client, order)

    for origin, mode, km in (("北京", "high_speed_rail", ""), ("", "flight", "1800"),
                             ("", "car", "35.5"), ("上海", "high_speed_rail", ""),
                             ("", "metro_bus", "12")):  # fmt: skip
        _client, response = _survey(app, event, origin=origin, mode=mode, one_way_km=km)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert db.session.query(SurveyResponse).count() == 5

    actual = save_calculation(organiser, ACTUAL, label="actual")
    response = post(client, f"/events/{event.code}/true-up",
                    {"actual-calculation": actual.token, "actual-use_survey": "y"},
                    page=f"/events/{event.code}/manage")  # fmt: skip
    assert response.status_code == 302
    event = fresh(Event, event.id)
    assert event.actual_kg is not None and event.trued_up_at is not None
    # 5 answers from 45 attendees are too few to extrapolate, but they alone (a flight of
    # 1,800 km among them) exceed the estimate's travel, so they count as given
    # (docs/METHODOLOGY.md, "True-up from the survey").
    assert event.trueup_rule is TrueUpRule.SURVEY_ABOVE_ESTIMATE
    assert (event.trueup_answers, event.trueup_attendees) == (5, 45)
    travel = [ln for ln in event.actual_calculation.result["lines"] if ln["category"] == "travel"]
    assert sum(1 for _ in travel) >= 4  # the survey's modes became travel lines
    manage = client.get(f"/events/{event.code}/manage").get_data(as_text=True)
    assert "trueup-difference" in manage

    state = offset_state.of(db.session, event)
    assert state.organiser_kg == event.estimate_kg
    assert event.actual_kg > event.estimate_kg  # more electricity than estimated
    topup = start_event_order(client, event)
    assert topup.quantity_kg == event.actual_kg - event.estimate_kg
    demo_pay(client, topup)
    state = offset_state.of(db.session, fresh(Event, event.id))
    assert state.complete and state.needed_kg == 0
    certificate = db.session.scalar(select(Certificate).where(Certificate.order_id == topup.id))
    _context, details = documents.build(db.session, certificate, app.config)
    assert details.retired_kg == event.actual_kg == details.footprint_kg
    assert len(details.serial_ranges) >= 1

    client.set_cookie("lang", "en")
    report = client.get(f"/events/{event.code}/report.csv")
    assert report.status_code == 200
    rows = list(csv.reader(io.StringIO(report.get_data(as_text=True).lstrip("\ufeff"))))
    fields = {r[1]: r[2] for r in rows if r and r[0] == "Event"}
    assert fields["Actual footprint (kg)"] == str(event.actual_kg)
    assert fields["True-up rule"] == "Survey answers as given (above the estimate)"
    assert any(r and r[0] == "Organiser" for r in rows)
    # Every footprint line cites the publication of its factor (the "Source" column of the
    # table that starts with the "Category" header), and the travel factors are DESNZ's.
    header = next(i for i, r in enumerate(rows) if r[:1] == ["Category"])
    source = rows[header].index("Source")
    lines = list(itertools.takewhile(bool, rows[header + 1 :]))
    assert lines and all(line[source] for line in lines)
    assert any("DESNZ" in line[source] for line in lines)

    pdf = client.get(f"/events/{event.code}/report.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    poster = client.get(f"/events/{event.code}/poster.pdf")
    assert poster.status_code == 200 and poster.data.startswith(b"%PDF")
    assert all(c.status is CertificateStatus.VALID for c in db.session.scalars(select(Certificate)))


def test_true_up_below_the_estimate_keeps_the_badge_and_states_the_surplus(
    app, client, credits, organiser, org
):
    event = make_event(org, organiser, ends_on=shanghai_today() - timedelta(days=1))
    manage = f"/events/{event.code}/manage"
    estimate = save_calculation(organiser, ESTIMATE)
    post(client, f"/events/{event.code}/estimate", {"estimate-calculation": estimate.token}, manage)
    demo_pay(client, start_event_order(client, fresh(Event, event.id)))
    smaller = save_calculation(organiser, {"province": "CN-SD", "participants": 10, "meals": 10})
    response = post(
        client, f"/events/{event.code}/true-up", {"actual-calculation": smaller.token}, manage
    )
    assert response.status_code == 302
    event = fresh(Event, event.id)
    assert event.actual_kg < event.estimate_kg
    state = offset_state.of(db.session, event)
    assert state.complete and state.needed_kg == 0
    assert state.surplus_kg == event.estimate_kg - event.actual_kg
    page = client.get(manage).get_data(as_text=True)
    # The surplus is stated and offered back (tests/functional/events/test_surplus_refund.py).
    assert "实际排放低于已抵消量" in page and "已全部抵消" in page
    # Nothing more can be bought, and the estimate is now final.
    again = post(client, f"/events/{event.code}/offset", {"confirm": "1", "method": "demo"}, manage)
    assert again.status_code == 302
    assert db.session.query(Order).count() == 1
    post(client, f"/events/{event.code}/estimate", {"estimate-calculation": smaller.token}, manage)
    assert fresh(Event, event.id).estimate_kg == event.estimate_kg


def test_true_up_waits_for_the_end_of_the_event(app, client, organiser, event):
    manage = f"/events/{event.code}/manage"
    calc = save_calculation(organiser, ESTIMATE)
    post(client, f"/events/{event.code}/estimate", {"estimate-calculation": calc.token}, manage)
    fresh_event = fresh(Event, event.id)
    fresh_event.ends_on = shanghai_today() + timedelta(days=2)
    db.session.commit()
    post(client, f"/events/{event.code}/true-up", {"actual-calculation": calc.token}, manage)
    assert fresh(Event, event.id).actual_kg is None


def test_bank_transfer_event_order_is_confirmed_by_two_staff(
    app, client, credits, organiser, event, admins
):
    manage = f"/events/{event.code}/manage"
    calc = save_calculation(organiser, ESTIMATE)
    post(client, f"/events/{event.code}/estimate", {"estimate-calculation": calc.token}, manage)
    page = client.get(manage).get_data(as_text=True)
    assert 'value="bank_transfer"' in page  # organisers may pay by 对公转账
    response = post(
        client, f"/events/{event.code}/offset", {"confirm": "1", "method": "bank_transfer"}, manage
    )
    assert response.status_code == 302
    order = db.session.scalars(select(Order)).one()
    assert order.kind is OrderKind.EVENT and order.status is OrderStatus.PENDING
    assert (order.invoice_title, order.invoice_tax_id) == (
        "济南绿色会展有限公司",
        "91370100MA3C000000",
    )
    staff_confirm_transfer(app, order)
    certificate = db.session.scalars(select(Certificate)).one()
    assert (
        certificate.kind == "event"
        and certificate.quantity_kg == fresh(Event, event.id).estimate_kg
    )
    assert offset_state.of(db.session, fresh(Event, event.id)).complete
