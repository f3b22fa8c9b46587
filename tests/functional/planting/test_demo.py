"""`flask demo-data` adds an upcoming and a past planting day once, labelled demo, and a
day proposed by the demo organisation that only staff (and the organiser) see."""

from __future__ import annotations

from webapp.extensions import db
from webapp.models import PlantingDay, PlantingDayStatus
from webapp.models.base import utcnow


def test_demo_data_adds_an_upcoming_and_a_past_planting_day_once(runner, client):
    for _ in range(2):
        result = runner.invoke(args=["demo-data"])
        assert result.exit_code == 0, result.output
    days = (
        db.session.query(PlantingDay)
        .filter(PlantingDay.status != PlantingDayStatus.PROPOSED)
        .order_by(PlantingDay.starts_at)
        .all()
    )
    assert len(days) == 2 and all(d.is_demo for d in days)
    (proposed,) = db.session.query(PlantingDay).filter(
        PlantingDay.status == PlantingDayStatus.PROPOSED
    )
    assert proposed.is_demo and proposed.proposed_by.email == "organiser@tanhui.local"
    assert client.get(f"/planting-days/{proposed.code}").status_code == 404
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
