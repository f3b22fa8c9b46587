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
