"""The true-up from the survey follows the rule of docs/METHODOLOGY.md ("True-up from the
survey"): a handful of answers never lowers the attendees' travel; enough answers are
extrapolated to every attendee; the pages, the badge and the reports say which rule applied."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

from tests.support.events import (
    demo_pay,
    fresh,
    post,
    save_calculation,
    shanghai_today,
    start_event_order,
)
from tests.support.pdftools import pdftotext
from tests.support.registry import make_project
from webapp.extensions import db
from webapp.models import Event, EventKind, TravelMode, TrueUpRule
from webapp.services.events import demo, records, survey, trueup


def _event(org, organiser, attendees: int) -> Event:
    ended = shanghai_today() - timedelta(days=1)
    event = records.create(
        db.session,
        organisation=org,
        actor=organiser,
        draft=records.EventDraft(
            name="2026 泰山低碳发展论坛",
            kind=EventKind.FORUM,
            starts_on=ended - timedelta(days=1),
            ends_on=ended,
            venue="泰安国际会展中心",
            city="泰安",
            province="CN-SD",
            expected_attendees=attendees,
        ),
    )
    db.session.commit()
    return event


def _answer(event, answers) -> None:
    for n, (origin, mode, km) in enumerate(answers):
        survey.submit(
            db.session,
            event,
            survey.Answer(mode=mode, origin=origin, one_way_km=km),
            device=f"device-{n}",
        )
    db.session.commit()


def _travel_kg(calculation) -> Decimal:
    return sum(
        (Decimal(ln["kg"]) for ln in calculation.result["lines"] if ln["category"] == "travel"),
        Decimal(0),
    )


def _true_up(client, event, actual) -> None:
    response = post(client, f"/events/{event.code}/true-up",
                    {"actual-calculation": actual.token, "actual-use_survey": "y"},
                    page=f"/events/{event.code}/manage")  # fmt: skip
    assert response.status_code == 302


def test_four_answers_from_300_attendees_do_not_lower_travel(client, on_sale, organiser, org):
    """The demo forum: ~300 attendees, 4 answers (1.3 %); the organiser's actual figures
    carry no attendee travel, as the page asks. Travel stays the estimate's."""
    on_sale(make_project(), quantity_kg=100_000, price="80.00")
    db.session.commit()
    event = _event(org, organiser, 300)
    estimate = save_calculation(organiser, demo.ESTIMATE)
    post(client, f"/events/{event.code}/estimate", {"estimate-calculation": estimate.token},
         page=f"/events/{event.code}/manage")  # fmt: skip
    demo_pay(client, start_event_order(client, fresh(Event, event.id)))
    _answer(event, demo.ANSWERS)
    measured = {k: v for k, v in demo.ESTIMATE.items() if k != "travel"}
    _true_up(client, event, save_calculation(organiser, measured, label="actual"))

    event = fresh(Event, event.id)
    assert event.trueup_rule is TrueUpRule.ESTIMATE_STANDS
    assert (event.trueup_answers, event.trueup_attendees) == (4, 300)
    estimated = _travel_kg(event.estimate_calculation)
    assert estimated > 28_000  # the demo's 28.8 t of travel
    assert _travel_kg(event.actual_calculation) == estimated  # not the answers' 0.6 t
    assert event.actual_kg == event.estimate_kg  # nothing to refund

    client.set_cookie("lang", "zh")
    page = client.get(f"/events/{event.code}").get_data(as_text=True)
    assert "零碳会议" in page and 'id="badge-basis"' in page and 'id="trueup-basis"' in page
    assert "300 名参会者中仅 4 人回答调查（1.3%）" in page
    assert "30 份回答和 20.0% 的回答率" in page
    manage = client.get(f"/events/{event.code}/manage").get_data(as_text=True)
    assert "300 名参会者中仅 4 人回答调查（1.3%）" in manage
    client.set_cookie("lang", "en")
    page = client.get(f"/events/{event.code}").get_data(as_text=True)
    assert "only 4 of 300 attendees answered the survey (1.3%)" in page
    assert "still the estimate made before the event" in page

    report = client.get(f"/events/{event.code}/report.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(report.lstrip("\ufeff"))))
    fields = {r[1]: r[2] for r in rows if r and r[0] == "Event"}
    assert fields["True-up rule"] == "Estimate stands (too few survey answers)"
    assert (fields["Survey answers used"], fields["Response rate"]) == ("4", "1.3%")
    assert "only 4 of 300 attendees" in fields["What the actual footprint rests on"]
    text = " ".join(pdftotext(client.get(f"/events/{event.code}/report.pdf").data).split())
    assert "300 名参会者中仅 4 人回答调查（1.3%）" in text
    assert "only 4 of 300 attendees answered the survey (1.3%)" in text


def test_a_high_response_rate_is_extrapolated_to_every_attendee(client, organiser, org):
    """100 attendees, 40 answers (40 %): the answers stand for everyone, and may lower the
    travel below a generous estimate."""
    event = _event(org, organiser, 100)
    generous = {
        "province": "CN-SD",
        "participants": 100,
        "venue": {"electricity_kwh": "500"},
        "travel": [{"mode": "flight", "people": 100, "one_way_km": "1500"}],
    }
    estimate = save_calculation(organiser, generous)
    post(client, f"/events/{event.code}/estimate", {"estimate-calculation": estimate.token},
         page=f"/events/{event.code}/manage")  # fmt: skip
    answers = [("", TravelMode.HIGH_SPEED_RAIL, "430")] * 30
    answers += [("", TravelMode.FLIGHT, "1380")] * 9 + [("", TravelMode.COACH, "70")]
    _answer(event, answers)
    staff = {"mode": "car", "people": 2, "one_way_km": "60"}
    measured = {"province": "CN-SD", "participants": 100, "venue": {"electricity_kwh": "520"},
                "travel": [staff]}  # fmt: skip
    _true_up(client, event, save_calculation(organiser, measured, label="actual"))

    event = fresh(Event, event.id)
    assert event.trueup_rule is TrueUpRule.SURVEY_EXTRAPOLATED
    assert (event.trueup_answers, event.trueup_attendees) == (40, 100)
    rows = event.actual_calculation.inputs["travel"]
    assert rows[0]["mode"] == "car" and rows[0]["people"] == 2  # the organiser's own row
    by_mode: dict[str, int] = {}
    for row in rows[1:]:
        by_mode[row["mode"]] = by_mode.get(row["mode"], 0) + int(row["people"])
    # 30 : 9 : 1 of 40, scaled to 100 whole people: 75, 22.5, 2.5; the tie goes to the
    # longer trip.
    assert by_mode == {"high_speed_rail": 75, "flight": 23, "coach": 2}
    assert sum(by_mode.values()) == 100
    assert _travel_kg(event.actual_calculation) < _travel_kg(event.estimate_calculation)

    client.set_cookie("lang", "en")
    page = client.get(f"/events/{event.code}").get_data(as_text=True)
    assert "extrapolated from the survey: 40 of 100 attendees answered (40.0%)" in page
    # A downward true-up, written as Chinese writes it: full-width brackets, a minus, 吨.
    client.set_cookie("lang", "zh")
    manage = client.get(f"/events/{event.code}/manage").get_data(as_text=True)
    assert re.search(r'（<strong id="trueup-difference">−\d+\.\d{3} 吨</strong>）', manage)


def test_few_answers_that_exceed_the_estimate_count_as_given(client, organiser, org):
    event = _event(org, organiser, 300)
    small = {"province": "CN-SD", "participants": 300,
             "travel": [{"mode": "metro_bus", "people": 300, "one_way_km": "5"}]}  # fmt: skip
    estimate = save_calculation(organiser, small)
    post(client, f"/events/{event.code}/estimate", {"estimate-calculation": estimate.token},
         page=f"/events/{event.code}/manage")  # fmt: skip
    _answer(event, [("", TravelMode.FLIGHT, "9000"), ("", TravelMode.FLIGHT, "8000")])
    measured = {"province": "CN-SD", "participants": 300}
    _true_up(client, event, save_calculation(organiser, measured, label="actual"))
    event = fresh(Event, event.id)
    assert event.trueup_rule is TrueUpRule.SURVEY_ABOVE_ESTIMATE
    assert _travel_kg(event.actual_calculation) > _travel_kg(event.estimate_calculation)


def test_apportion_keeps_whole_people_and_the_total():
    rows = [{"mode": "a", "people": 2, "one_way_km": "5"},
            {"mode": "b", "people": 1, "one_way_km": "5"},
            {"mode": "c", "people": 1, "one_way_km": "9"}]  # fmt: skip
    # 5, 2.5, 2.5: the half person goes to the longer trip.
    assert [r["people"] for r in trueup.apportion(rows, 10)] == [5, 2, 3]
    assert sum(r["people"] for r in trueup.apportion(rows, 7)) == 7
    assert trueup.Basis(29, 100).enough is False  # 29 % but fewer than 30 answers
    assert trueup.Basis(59, 300).enough is False  # 59 answers but 19.7 %
    assert trueup.Basis(60, 300).enough is True
