"""Validation of untrusted input: every class of bad input, per-field error paths."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from flask_babel.speaklater import LazyString

from webapp.services.footprint import FootprintInputError, parse_event, parse_household

BASE = {"province": "CN-SD", "household_size": 2}
EVENT = {"province": "CN-SD", "participants": 50}


def errors_of(parse, data) -> dict[str, str]:
    with pytest.raises(FootprintInputError) as info:
        parse(data)
    return info.value.as_text()


def household_errors(**fields):
    return errors_of(parse_household, {**BASE, **fields})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "Must not be negative."),
        ("-0.5", "Must not be negative."),
        ("abc", "Must be a plain decimal number such as 12.5."),
        ("", "Must be a plain decimal number such as 12.5."),
        ("1e309", "Must be a plain decimal number such as 12.5."),
        ("1E3", "Must be a plain decimal number such as 12.5."),
        ("nan", "Must be a plain decimal number such as 12.5."),
        ("Infinity", "Must be a plain decimal number such as 12.5."),
        ("1,00,0", "Group digits in threes (3,000 or 1,200.5), or leave out the commas."),
        ("3000 kg", "Enter the number in kilowatt-hours (kWh)."),
        ("3000 apples", "Must be a plain decimal number such as 12.5."),
        (float("nan"), "Must be a finite number."),
        (float("inf"), "Must be a finite number."),
        (D("NaN"), "Must be a finite number."),
        (D("-Infinity"), "Must be a finite number."),
        (True, "Must be a number, not true or false."),
        (False, "Must be a number, not true or false."),
        ([1], "Must be a number."),
        ({"kwh": 1}, "Must be a number."),
        (1_000_001, "Must be at most 1000000."),
        ("1000000.5", "Must be at most 1000000."),
        ("1.1234567", "Use at most 6 decimal places."),
        ("9" * 41, "Must be a plain decimal number such as 12.5."),
    ],
)
def test_bad_numbers(value, message):
    assert household_errors(electricity_kwh=value) == {"electricity_kwh": message}


@pytest.mark.parametrize("value", ["3,000", "３０００", "3000 kWh", "3,000度", "３，０００ 千瓦时"])
def test_numbers_as_people_write_them(value):
    assert parse_household({**BASE, "electricity_kwh": value}).electricity_kwh == D(3000)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("3600", D(3600)), (" 12.5 ", D("12.5")), (12.5, D("12.5")), (3600, D(3600)),
     (D("7.25"), D("7.25")), ("0.1", D("0.1")), (0.1, D("0.1")), ("+5", D(5)), ("-0", D(0)),
     ("12.500000000", D("12.5")), (1_000_000, D(1_000_000))],
)  # fmt: skip
def test_accepted_numbers(raw, expected):
    assert parse_household({**BASE, "electricity_kwh": raw}).electricity_kwh == expected


def test_required_fields():
    assert errors_of(parse_household, {}) == {
        "province": "This field is required.",
        "household_size": "This field is required.",
    }
    assert errors_of(parse_event, {"province": None}) == {
        "province": "This field is required.",
        "participants": "This field is required.",
    }


@pytest.mark.parametrize("data", [None, [], "text", 5, [("province", "CN-SD")]])
def test_document_must_be_an_object(data):
    assert errors_of(parse_household, data) == {"_root": "Must be an object with named fields."}
    assert errors_of(parse_event, data) == {"_root": "Must be an object with named fields."}


@pytest.mark.parametrize("code", ["CN-SD", "sd", "SD", "cn-sd", " Cn-Sd ", "CN-sd"])
def test_province_forms(code):
    assert parse_household({**BASE, "province": code}).province == "CN-SD"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("CN-XX", "Unknown province. Use an ISO 3166-2:CN code such as CN-SD."),
        ("CN-HK", "Unknown province. Use an ISO 3166-2:CN code such as CN-SD."),
        ("Shandong", "Unknown province. Use an ISO 3166-2:CN code such as CN-SD."),
        (37, "Must be text."),
        ("", "Must be text."),
    ],
)
def test_unknown_or_bad_province(code, message):
    assert errors_of(parse_household, {**BASE, "province": code}) == {"province": message}
    assert errors_of(parse_event, {**EVENT, "province": code}) == {"province": message}


def test_household_size_must_be_whole_and_in_range():
    assert household_errors(household_size="2.5") == {"household_size": "Must be a whole number."}
    assert household_errors(household_size=0) == {"household_size": "Must be at least 1."}
    assert household_errors(household_size=51) == {"household_size": "Must be at most 50."}
    assert parse_household({**BASE, "household_size": "3"}).household_size == 3
    assert parse_household({**BASE, "household_size": 3.0}).household_size == 3


def test_unknown_keys_at_every_level():
    errs = household_errors(
        colour="red",
        transit={"bus_km": 1, "tram_km": 2},
        cars=[{"fuel": "petrol", "km": 1, "seats": 5}],
        flights=[{"distance_km": 100, "class": "first"}],
    )
    assert errs == {
        "colour": "Unknown field.",
        "transit.tram_km": "Unknown field.",
        "cars[0].seats": "Unknown field.",
        "flights[0].class": "Unknown field.",
    }
    ev = errors_of(
        parse_event,
        {**EVENT, "venue": {"gas": 1}, "travel": [{"mode": "rail", "people": 1,
         "one_way_km": 1, "x": 0}], "materials": {"ink_kg": 1}, "extra": 1},
    )  # fmt: skip
    assert ev == {
        "extra": "Unknown field.",
        "venue.gas": "Unknown field.",
        "materials.ink_kg": "Unknown field.",
        "travel[0].x": "Unknown field.",
    }


def test_wrong_container_types():
    assert household_errors(cars={"fuel": "petrol"}, transit=[1], flights="PEK-SHA") == {
        "cars": "Must be a list.",
        "transit": "Must be an object with named fields.",
        "flights": "Must be a list.",
    }
    assert household_errors(cars=[5]) == {"cars[0]": "Must be an object with named fields."}


def test_car_errors():
    assert household_errors(cars=[{"fuel": "coal", "km": -3}, {"km": 1}, {"fuel": "petrol"}]) == {
        "cars[0].fuel": "Must be one of: petrol, diesel, hybrid, electric.",
        "cars[0].km": "Must not be negative.",
        "cars[1].fuel": "This field is required.",
        "cars[2].km": "This field is required.",
    }
    assert household_errors(cars=[{"fuel": "petrol", "km": 1}] * 21) == {
        "cars": "At most 20 entries are allowed."
    }


def test_flight_errors():
    errs = household_errors(
        flights=[
            {"from": "PEK"},
            {"from": "PEK", "to": "ZZZ"},
            {"from": "PEK", "to": "pek"},
            {"from": "PEK", "to": "SHA", "distance_km": 1000},
            {},
            {"distance_km": 0},
            {"distance_km": 30000},
            {"distance_km": 100, "return": "yes", "cabin": "first", "passengers": 0},
            {"from": 1, "to": "X" * 41},
        ]
    )
    assert errs == {
        "flights[0].to": "This field is required.",
        "flights[1].to": (
            "Unknown airport or city. Type a city (杭州, Hangzhou) or an airport code (HGH)."
        ),
        "flights[2].to": "Destination must differ from origin.",
        "flights[3].distance_km": "Give either airport codes or distance_km, not both.",
        "flights[4]": "Give from and to airport codes, or distance_km.",
        "flights[5].distance_km": "Must be at least 1.",
        "flights[6].distance_km": "Must be at most 20040.",
        "flights[7].return": "Must be true or false.",
        "flights[7].cabin": "Must be one of: average, economy, business.",
        "flights[7].passengers": "Must be at least 1.",
        "flights[8].from": "Must be text.",
        "flights[8].to": "Must be at most 40 characters.",
    }


def test_flight_accepts_lowercase_codes_and_string_booleans():
    flight = parse_household(
        {**BASE, "flights": [{"from": "pvg", "to": "ctu", "return": "true"}]}
    ).flights[0]
    assert (flight.origin, flight.destination, flight.return_trip, flight.cabin) == (
        "PVG", "CTU", True, "average",
    )  # fmt: skip


def test_mutually_exclusive_fields():
    assert household_errors(electricity_kwh=1, electricity_kwh_month=1) == {
        "electricity_kwh_month": "Give electricity_kwh or electricity_kwh_month, not both."
    }
    assert household_errors(heat_gj=1, heated_area_m2=1) == {
        "heated_area_m2": "Give heat_gj or heated_area_m2, not both."
    }


def test_diet_keys_and_alias():
    assert parse_household({**BASE, "diet": "average_meat"}).diet == "medium_meat"
    assert parse_household({**BASE, "diet": "Vegan"}).diet == "vegan"
    assert household_errors(diet="carnivore") == {
        "diet": "Must be one of: high_meat, medium_meat, low_meat, pescatarian, vegetarian, vegan."
    }


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"participants": 0}, {"participants": "Must be at least 1."}),
        ({"participants": True}, {"participants": "Must be a number, not true or false."}),
        ({"participants": "1000001"}, {"participants": "Must be at most 1000000."}),
        ({"days": 400}, {"days": "Must be at most 366."}),
        ({"vegetarian_share": "1.5"}, {"vegetarian_share": "Must be at most 1."}),
        ({"vegetarian_share": -0.1}, {"vegetarian_share": "Must not be negative."}),
        ({"meals": "12.5"}, {"meals": "Must be a whole number."}),
        ({"round_trip": 1}, {"round_trip": "Must be true or false."}),
        ({"venue": {"electricity_kwh": "nan"}},
         {"venue.electricity_kwh": "Must be a plain decimal number such as 12.5."}),
        ({"venue_fuel": {"diesel_l": 1e12}}, {"venue_fuel.diesel_l": "Must be at most 10000000."}),
        ({"materials": {"paper_kg": False}},
         {"materials.paper_kg": "Must be a number, not true or false."}),
        ({"waste_kg": float("inf")}, {"waste_kg": "Must be a finite number."}),
        ({"travel": [{"mode": "rocket", "people": -1, "one_way_km": "x"}]},
         {"travel[0].mode": "Must be one of: flight, high_speed_rail, rail, coach, car, taxi, "
          "metro_bus.", "travel[0].people": "Must not be negative.",
          "travel[0].one_way_km": "Must be a plain decimal number such as 12.5."}),
        ({"travel": [{"mode": "rail"}]},
         {"travel[0].people": "This field is required.",
          "travel[0].one_way_km": "This field is required."}),
        ({"official_vehicles": [{"fuel": "electric", "km": 2_000_000}]},
         {"official_vehicles[0].km": "Must be at most 1000000."}),
    ],
)  # fmt: skip
def test_event_errors(fields, expected):
    assert errors_of(parse_event, {**EVENT, **fields}) == expected


def test_event_defaults_and_strings():
    e = parse_event({**EVENT, "participants": "300", "meals": "1200", "vegetarian_share": "0.25"})
    assert (e.participants, e.days, e.round_trip, e.meals) == (300, 1, True, 1200)
    assert e.vegetarian_share == D("0.25")


def test_messages_are_lazy_and_render_without_app_context():
    with pytest.raises(FootprintInputError) as info:
        parse_household({"household_size": -1, "x": 1})
    err = info.value
    assert all(isinstance(m, LazyString) for m in err.errors.values())
    assert str(err.errors["household_size"]) == "Must not be negative."
    assert err.as_text() == {
        "x": "Unknown field.",
        "province": "This field is required.",
        "household_size": "Must not be negative.",
    }
    assert "household_size: Must not be negative." in str(err)


def test_event_counts_with_their_units():
    e = parse_event(
        {**EVENT, "participants": "3,000 人", "meals": "１２００ 餐", "room_nights": "300晚"}
    )
    assert (e.participants, e.meals, e.room_nights) == (3000, 1200, 300)
    assert errors_of(parse_event, {**EVENT, "participants": "300 kg"}) == {
        "participants": "Enter the number in people."
    }
