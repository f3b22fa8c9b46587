"""`flask demo-data` adds an upcoming and a past planting day once, labelled demo."""

from __future__ import annotations

from webapp.extensions import db
from webapp.models import PlantingDay
from webapp.models.base import utcnow


def test_demo_data_adds_an_upcoming_and_a_past_planting_day_once(runner, client):
    for _ in range(2):
        result = runner.invoke(args=["demo-data"])
        assert result.exit_code == 0, result.output
    days = db.session.query(PlantingDay).order_by(PlantingDay.starts_at).all()
    assert len(days) == 2 and all(d.is_demo for d in days)
    past, upcoming = days
    assert past.ends_at < utcnow() < upcoming.starts_at
    listing = client.get("/api/v1/planting-days").get_json()["planting_days"]
    assert {d["code"] for d in listing} == {past.code, upcoming.code}
    one = client.get(f"/api/v1/planting-days/{past.code}").get_json()
    assert one["results"]["trees_planted"] == 9
    assert one["results"]["planters_public"] == ["王**"]  # initials, as chosen
    page = client.get(f"/planting-days/{past.code}").get_data(as_text=True)
    assert "4 trees alive on" in page or "存活 4 棵" in page  # C-03's later inspection
    assert upcoming.places_taken == 2
