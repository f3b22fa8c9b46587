"""Event calculator: every 大型活动 category against hand-computed values, and true-up.

Factors (cn-2026.1): Shandong grid 0.641 kgCO2/kWh; natural gas 2.165 kgCO2/m3; diesel
2.6006 kgCO2/L; heat 0.11 tCO2/GJ; DESNZ 2024 diesel car 0.16984, petrol car 0.1645
kgCO2e/vkm; HSR 0.03048 kgCO2/pkm; national rail 0.03546, coach 0.02717, taxi 0.14861,
local bus 0.10846 kgCO2e/pkm; short-haul average flight 0.18592 / 0.10974 (with / without
RF); hotel 53.5 kgCO2e/room-night; meals 1.876667 (meat) and 1.27 (vegetarian) kgCO2e;
paper 1339.31834 kgCO2e/t; residual waste 497.04416 kgCO2e/t; EV 15 kWh/100 km.
"""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

from webapp.services.footprint import (
    FootprintResult,
    compare,
    event_footprint,
    household_footprint,
    parse_event,
    parse_household,
)

BRIEF_EXAMPLE = {
    "province": "CN-SD",
    "participants": 300,
    "days": 2,
    "travel": [
        {"mode": "high_speed_rail", "people": 200, "one_way_km": 500},
        {"mode": "flight", "people": 100, "one_way_km": 1200},
    ],
    "round_trip": True,
    "room_nights": 300,
    "meals": 1200,
    "vegetarian_share": 0,
    "venue": {"electricity_kwh": 8000},
}


def run(**fields):
    return event_footprint(parse_event({"province": "CN-SD", "participants": 100, **fields}))


def kg_by_activity(result):
    return {line.activity: line.kg for line in result.lines}


def test_brief_example():
    result = event_footprint(parse_event(BRIEF_EXAMPLE))
    assert kg_by_activity(result) == {
        "venue.electricity": D("5128"),  # 8000 x 0.641
        "travel.high_speed_rail": D("6096"),  # 200 x 500 x 2 = 200000 pkm x 0.03048
        "travel.flight": D("44620.8"),  # 100 x 1200 x 2 = 240000 pkm x 0.18592
        "hotel": D("16050"),  # 300 x 53.5
        "meal.meat": D("2252.0004"),  # 1200 x 1.876667
        "meal.vegetarian": D("0"),  # 0 x 1.27
    }
    # 5128 + 6096 + 44620.8 + 16050 + 2252.0004
    assert result.total_kg == D("74146.8004")
    assert result.per_person_kg == D("247.156001")  # 74146.8004 / 300 = 247.1560013...
    flight = next(line for line in result.lines if line.activity == "travel.flight")
    assert flight.alternative.kg == D("26337.6")  # 240000 x 0.10974
    assert result.by_category == {
        "purchased_energy": D("5128"),
        "travel": D("50716.8"),
        "accommodation_catering": D("18302.0004"),
    }


def test_venue_fuel_energy_and_official_vehicles():
    result = run(
        venue_fuel={"natural_gas_m3": 1000, "diesel_l": 100},
        venue={"heat_gj": 50},
        official_vehicles=[{"fuel": "diesel", "km": 1000}, {"fuel": "electric", "km": 1000}],
    )
    assert kg_by_activity(result) == {
        "venue.natural_gas": D("2165"),  # 1000 x 2.165
        "venue.diesel": D("260.06"),  # 100 x 2.6006
        "venue.heat": D("5500"),  # 50 GJ x 110 kg/GJ
        "car.diesel": D("169.84"),  # 1000 x 0.16984
        "car.electric": D("96.15"),  # 1000 km x 15/100 = 150 kWh x 0.641
    }
    assert result.by_category == {
        "stationary_combustion": D("2425.06"),
        "purchased_energy": D("5596.15"),  # 5500 + 96.15 (electric vehicle)
        "mobile_combustion": D("169.84"),
    }


def test_travel_modes_round_trip_and_one_way():
    travel = [
        {"mode": "rail", "people": 10, "one_way_km": 300},
        {"mode": "coach", "people": 40, "one_way_km": 100},
        {"mode": "car", "people": 5, "one_way_km": 50},
        {"mode": "taxi", "people": 20, "one_way_km": 10},
        {"mode": "metro_bus", "people": 100, "one_way_km": 15},
    ]
    both_ways = kg_by_activity(run(travel=travel))
    assert both_ways == {
        "travel.rail": D("212.76"),  # 10 x 300 x 2 = 6000 x 0.03546
        "travel.coach": D("217.36"),  # 40 x 100 x 2 = 8000 x 0.02717
        "travel.car": D("82.25"),  # 5 x 50 x 2 = 500 x 0.1645 (one traveller per car)
        "travel.taxi": D("59.444"),  # 20 x 10 x 2 = 400 x 0.14861
        "travel.metro_bus": D("325.38"),  # 100 x 15 x 2 = 3000 x 0.10846
    }
    one_way = kg_by_activity(run(travel=travel, round_trip=False))
    assert one_way == {k: v / 2 for k, v in both_ways.items()}


def test_meals_split_materials_and_waste():
    result = run(
        meals=1000,
        vegetarian_share="0.3",
        materials={"paper_kg": 50, "printed_kg": 20},
        waste_kg=200,
        room_nights=0,
    )
    assert kg_by_activity(result) == {
        "hotel": D("0"),
        "meal.meat": D("1313.6669"),  # 700 x 1.876667
        "meal.vegetarian": D("381"),  # 300 x 1.27
        "material.paper": D("66.965917"),  # 50 x 1.33931834
        "material.printed": D("26.7863668"),  # 20 x 1.33931834
        "waste": D("99.408832"),  # 200 x 0.49704416
    }


def test_compare_true_up():
    estimate = event_footprint(parse_event(BRIEF_EXAMPLE))
    actual = event_footprint(
        parse_event({**BRIEF_EXAMPLE, "room_nights": 250, "venue": {"electricity_kwh": 9000}})
    )
    true_up = compare(estimate, actual)
    rows = {r.category: r.difference_kg for r in true_up.categories}
    assert rows == {
        "purchased_energy": D("641"),  # +1000 kWh x 0.641
        "travel": D("0"),
        "accommodation_catering": D("-2675"),  # -50 room-nights x 53.5
    }
    assert true_up.difference_kg == D("-2034")  # 641 - 2675
    assert true_up.difference_kg == actual.total_kg - estimate.total_kg
    assert json.loads(json.dumps(true_up.to_dict()))["difference_kg"] == "-2034"


def test_compare_category_missing_on_one_side():
    estimate = run(waste_kg=100)
    actual = run(materials={"paper_kg": 10})
    rows = {r.category: (r.estimate_kg, r.actual_kg) for r in compare(estimate, actual).categories}
    assert rows == {
        "waste": (D("49.704416"), D(0)),
        "materials": (D(0), D("13.3931834")),
    }


def test_compare_rejects_mixed_kinds():
    household = household_footprint(parse_household({"province": "sd", "household_size": 1}))
    with pytest.raises(ValueError, match="cannot compare"):
        compare(household, run())


def test_event_json_round_trip():
    result = event_footprint(parse_event(BRIEF_EXAMPLE))
    payload = json.loads(json.dumps(result.to_dict()))
    assert FootprintResult.from_dict(payload) == result
