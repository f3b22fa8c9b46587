"""The organiser's 抵消 shows the price before anything is reserved, as /offset does
(issue 21, part 7)."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.support.events import ESTIMATE, fresh, post, save_calculation
from webapp.extensions import db
from webapp.models import Event, Issuance, Order


def test_the_price_comes_first_and_nothing_is_reserved(client, credits, organiser, event):
    calc = save_calculation(organiser, ESTIMATE)
    manage = f"/events/{event.code}/manage"
    post(client, f"/events/{event.code}/estimate", {"estimate-calculation": calc.token}, manage)
    event = fresh(Event, event.id)
    manage_html = client.get(manage).get_data(as_text=True)
    assert f'action="/events/{event.code}/offset#quote"' in manage_html

    response = post(client, f"/events/{event.code}/offset", {"method": "demo"}, manage)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="quote"' in html and "TA-CLS" in html
    tonnes = f"{event.estimate_kg / 1000:.3f}".rstrip("0").rstrip(".")
    assert tonnes in html
    # ¥80 per tonne: the total is the estimate's tonnes × 80, shown on the confirm button.
    assert 'name="confirm"' in html and "确认并支付 ¥" in html
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    assert db.session.scalars(select(Issuance)).one().reserved_kg == 0

    confirmed = post(
        client, f"/events/{event.code}/offset", {"method": "demo", "confirm": "1"}, manage
    )
    assert confirmed.status_code == 302 and "/orders/" in confirmed.headers["Location"]
    assert db.session.scalars(select(Issuance)).one().reserved_kg == event.estimate_kg


def test_expected_attendees_as_people_write_them(client, org):
    from webapp.models import Event as EventModel

    page = f"/organisations/{org.id}/events/new"
    base = {
        "name": "全角论坛",
        "kind": "forum",
        "starts_on": "2026-12-20",
        "ends_on": "2026-12-21",
        "venue": "会展中心",
        "city": "济南",
        "province": "CN-SD",
    }
    for typed, expected in (("３，０００ 人", 3000), ("1,200", 1200)):
        response = post(
            client, page, {**base, "name": f"论坛{expected}", "expected_attendees": typed}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
        event = db.session.scalars(
            select(EventModel).where(EventModel.name == f"论坛{expected}")
        ).one()
        assert event.expected_attendees == expected
    for garbage, message in (
        ("3.5", "请输入整数。"),
        ("abc", "请输入普通十进制数字"),
        ("3 吨", "请以人为单位"),
    ):
        response = post(client, page, {**base, "expected_attendees": garbage})
        assert response.status_code == 400 and message in response.get_data(as_text=True), garbage
