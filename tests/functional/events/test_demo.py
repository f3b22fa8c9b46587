"""`flask demo-data` adds one demo organisation and event, labelled demo, once."""

from __future__ import annotations

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Event, Organisation, SurveyResponse


def test_demo_data_adds_an_organisation_and_an_event_once(app, runner, client):
    for _ in range(2):
        result = runner.invoke(args=["demo-data"])
        assert result.exit_code == 0, result.output
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(Organisation)) == 1
        assert db.session.scalar(select(func.count()).select_from(Event)) == 1
        assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 4
    event = db.session.scalars(select(Event)).one()
    assert event.is_demo and event.organisation.is_demo and event.estimate_kg > 0
    page = client.get(f"/events/{event.code}").get_data(as_text=True)
    assert "演示" in page and "泰山低碳发展论坛" in page
    assert "泰山低碳发展论坛" in client.get("/events").get_data(as_text=True)
