"""The attendee survey takes cities in Chinese or English, suggests them in the reader's
language and reads distances as people write them (issue 21, parts 7 and 8)."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.support.app import csrf_token
from webapp.extensions import db
from webapp.models import SurveyResponse


def _answer(client, event, **fields):
    data = {"mode": "rail", "origin": "", "one_way_km": "", "comment": ""}
    data.update(fields)
    data["csrf_token"] = csrf_token(client, f"/events/{event.code}/survey")
    return client.post(f"/events/{event.code}/survey", data=data)


def test_english_city_names_and_city_suffixes(app, event):
    for origin in ("Hangzhou", "杭州市"):
        client = app.test_client()
        assert _answer(client, event, origin=origin, mode="high_speed_rail").status_code == 302
    rows = db.session.scalars(select(SurveyResponse)).all()
    assert len(rows) == 2 and rows[0].one_way_km == rows[1].one_way_km
    assert 700 < rows[0].one_way_km < 900  # Hangzhou – Jinan: ≈ 660 km great circle × detour


def test_distances_with_commas_and_units(app, event):
    client = app.test_client()
    assert _answer(client, event, one_way_km="1,200 公里", mode="flight").status_code == 302
    assert db.session.scalars(select(SurveyResponse)).one().one_way_km == 1200


def test_city_suggestions_in_the_readers_language(app, event):
    client = app.test_client()
    html = client.get(f"/events/{event.code}/survey").get_data(as_text=True)
    assert 'list="city-list"' in html
    cities = re.search(r'<datalist id="city-list">(.*?)</datalist>', html, re.S).group(1)
    assert '<option value="杭州">' in cities and "Hangzhou" not in cities
    client.set_cookie("lang", "en")
    html = client.get(f"/events/{event.code}/survey").get_data(as_text=True)
    cities = re.search(r'<datalist id="city-list">(.*?)</datalist>', html, re.S).group(1)
    assert '<option value="Hangzhou">' in cities and "杭州" not in cities
