"""Survey abuse: floods are throttled, absurd answers refused with clear messages, free
text escaped wherever it is shown (HTML, CSV)."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from tests.support.app import csrf_token
from webapp.extensions import db
from webapp.models import SurveyResponse
from webapp.services.events import survey

SCRIPT = '<script>alert("x")</script>'


def _count() -> int:
    return db.session.scalar(select(func.count(SurveyResponse.id))) or 0


def _answer(client, event, token=None, **fields):
    data = {"mode": "rail", "origin": "", "one_way_km": "120", "comment": ""}
    data.update(fields)
    data["csrf_token"] = token or csrf_token(client, f"/events/{event.code}/survey")
    return client.post(f"/events/{event.code}/survey", data=data)


def test_one_thousand_submissions_from_one_client_are_throttled(app, event):
    client = app.test_client()
    token = csrf_token(client, f"/events/{event.code}/survey")
    statuses: dict[int, int] = {}
    limited_page = ""
    for _ in range(1000):
        # A script that drops the device cookie every time (it keeps the session for CSRF).
        client.delete_cookie("th_survey_device")
        response = client.post(
            f"/events/{event.code}/survey",
            data={"mode": "rail", "one_way_km": "120", "csrf_token": token},
        )
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        if response.status_code == 429 and not limited_page:
            limited_page = response.get_data(as_text=True)
    limit = int(app.config["SURVEY_RATE_LIMIT"].split()[0])
    assert statuses[302] == limit == _count()
    assert statuses[429] == 1000 - limit
    assert "短时间内尝试次数过多" in limited_page


def test_a_device_answers_once(app, event):
    client = app.test_client()
    # The form as first loaded (a second tab): once answered, the page shows no form.
    token = csrf_token(client, f"/events/{event.code}/survey")
    assert _answer(client, event, token).status_code == 302
    again = _answer(client, event, token)
    assert again.status_code == 409
    assert "此设备已经回答过" in again.get_data(as_text=True)
    assert _count() == 1
    page = client.get(f"/events/{event.code}/survey").get_data(as_text=True)
    assert "此设备已经回答过" in page


def test_absurd_and_invalid_answers_are_refused_with_clear_messages(app, event):
    client = app.test_client()
    cases = [
        ({"one_way_km": "40000", "mode": "flight"}, "合理的单程距离"),
        ({"one_way_km": "900", "mode": "metro_bus"}, "合理的单程距离"),
        ({"one_way_km": "-5"}, "距离必须大于 0 公里"),
        ({"one_way_km": "abc"}, "请以公里数填写距离"),
        ({"one_way_km": "NaN"}, "距离必须大于 0 公里"),
        ({"one_way_km": "", "origin": "Atlantis"}, "我们不认识这个城市"),
        ({"one_way_km": "", "origin": ""}, "请填写出发城市或公里数"),
        ({"mode": "teleport"}, "请选择您的出行方式"),
        ({"comment": "x" * 201}, "最多 200 个字符"),
    ]
    for fields, message in cases:
        response = _answer(client, event, **fields)
        assert response.status_code in (400, 409), fields
        html = response.get_data(as_text=True)
        assert message in html or message.lower() in html.lower(), (fields, html[-3000:])
    assert _count() == 0


def test_city_names_give_great_circle_distances(app, event):
    client = app.test_client()
    assert (
        _answer(client, event, origin="北京", one_way_km="", mode="high_speed_rail").status_code
        == 302
    )
    row = db.session.scalars(select(SurveyResponse)).one()
    assert 300 < row.one_way_km < 450  # Beijing – Jinan, great circle ≈ 360 km


def test_script_in_free_text_is_escaped_everywhere(app, client, organiser, event):
    attendee = app.test_client()
    response = _answer(attendee, event, origin='=HYPERLINK("http://x")', comment=SCRIPT)
    assert response.status_code == 302
    manage = client.get(f"/events/{event.code}/manage").get_data(as_text=True)
    assert SCRIPT not in manage
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in manage
    report = client.get(f"/events/{event.code}/report.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(report.lstrip("\ufeff"))))
    answer = next(r for r in rows if r and r[0] == "1")
    assert answer[1] == '\'=HYPERLINK("http://x")'  # a formula cell is kept text
    assert answer[4] == SCRIPT  # plain text in a CSV; never rendered as HTML
    for row in rows:
        for cell in row:
            assert cell[:1] not in ("=", "+", "-", "@"), cell


def test_aggregation_is_exact():
    from decimal import Decimal

    from webapp.models import TravelMode

    answers = [
        (TravelMode.RAIL, Decimal("100.0")),
        (TravelMode.RAIL, Decimal("100.1")),
        (TravelMode.RAIL, Decimal("250.4")),
        (TravelMode.FLIGHT, Decimal("700")),
        (TravelMode.FLIGHT, Decimal("4000")),
    ]
    rows = survey.travel_rows(answers)
    rail = [r for r in rows if r["mode"] == "rail"]
    assert sum(r["people"] for r in rail) == 3
    assert sum(r["people"] * Decimal(r["one_way_km"]) for r in rail) == Decimal("450.5")
    flights = sorted(Decimal(r["one_way_km"]) for r in rows if r["mode"] == "flight")
    assert flights == [Decimal("700"), Decimal("4000")]  # different haul bands stay apart


def test_a_closed_survey_refuses_answers(app, client, organiser, event):
    manage = f"/events/{event.code}/manage"
    attendee = app.test_client()
    # The attendee opened the form before the organiser closed the survey.
    token = csrf_token(attendee, f"/events/{event.code}/survey")
    client.post(
        f"/events/{event.code}/survey-state",
        data={"open": "0", "csrf_token": csrf_token(client, manage)},
    )
    response = _answer(attendee, event, token)
    assert response.status_code == 409 and "本调查已关闭" in response.get_data(as_text=True)
    assert "本调查已关闭" in attendee.get(f"/events/{event.code}/survey").get_data(as_text=True)
    assert _count() == 0
    client.post(
        f"/events/{event.code}/survey-state",
        data={"open": "1", "csrf_token": csrf_token(client, manage)},
    )
    assert _answer(attendee, event).status_code == 302 and _count() == 1


def test_survey_distance_that_overflows_is_a_clear_400(app, event):
    client = app.test_client()
    for km in ("1e28", "1e29", "1e308", "9" * 39):
        data = {"mode": "rail", "origin": "", "one_way_km": km, "comment": ""}
        data["csrf_token"] = csrf_token(client, f"/events/{event.code}/survey")
        response = client.post(f"/events/{event.code}/survey", data=data)
        assert response.status_code == 400, km
