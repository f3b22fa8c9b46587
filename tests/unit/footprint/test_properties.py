"""Property tests: exact sums, non-negativity, monotonicity, JSON round trip."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webapp.services.footprint import (
    FootprintResult,
    event_footprint,
    household_footprint,
    parse_event,
    parse_household,
    provinces,
)
from webapp.services.footprint.arithmetic import mul, total

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PROVINCES = sorted(provinces())
AIRPORTS = ["PEK", "PKX", "PVG", "CAN", "CTU", "URC", "LXA", "HKG", "LHR", "JFK", "SYD"]


def amount(limit: int, places: int = 3) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=0, max_value=limit, places=places)


def optional(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.none(), strategy)


@st.composite
def flights(draw):
    base = {
        "return": draw(st.booleans()),
        "cabin": draw(st.sampled_from(["average", "economy", "business"])),
        "passengers": draw(st.integers(1, 5)),
    }
    if draw(st.booleans()):
        origin, destination = draw(
            st.lists(st.sampled_from(AIRPORTS), min_size=2, max_size=2, unique=True)
        )
        return {**base, "from": origin, "to": destination}
    return {**base, "distance_km": draw(st.decimals(min_value=1, max_value=20000, places=1))}


@st.composite
def households(draw):
    data = {"province": draw(st.sampled_from(PROVINCES)), "household_size": draw(st.integers(1, 8))}
    fields = {
        "electricity_kwh": amount(50_000),
        "natural_gas_m3": amount(5_000),
        "lpg_kg": amount(1_000),
        "heat_gj": amount(200),
        "taxi_km": amount(20_000),
        "waste_kg": amount(5_000),
        "diet": st.sampled_from(["high_meat", "average_meat", "low_meat", "vegan"]),
    }
    for name, strategy in fields.items():
        value = draw(optional(strategy))
        if value is not None:
            data[name] = value
    data["cars"] = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "fuel": st.sampled_from(["petrol", "diesel", "hybrid", "electric"]),
                    "km": amount(50_000),
                }
            ),
            max_size=3,
        )
    )
    data["transit"] = draw(
        st.fixed_dictionaries(
            {},
            optional={
                k: amount(20_000) for k in ("bus_km", "metro_km", "rail_km", "high_speed_rail_km")
            },
        )
    )
    data["flights"] = draw(st.lists(flights(), max_size=3))
    return data


@st.composite
def events(draw):
    return {
        "province": draw(st.sampled_from(PROVINCES)),
        "participants": draw(st.integers(1, 5000)),
        "venue_fuel": {"natural_gas_m3": draw(amount(10_000)), "diesel_l": draw(amount(5_000))},
        "venue": {"electricity_kwh": draw(amount(100_000)), "heat_gj": draw(amount(1_000))},
        "official_vehicles": draw(
            st.lists(
                st.fixed_dictionaries(
                    {"fuel": st.sampled_from(["petrol", "electric"]), "km": amount(5_000)}
                ),
                max_size=2,
            )
        ),
        "travel": draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "mode": st.sampled_from(
                            [
                                "flight",
                                "high_speed_rail",
                                "rail",
                                "coach",
                                "car",
                                "taxi",
                                "metro_bus",
                            ]
                        ),
                        "people": st.integers(0, 500),
                        "one_way_km": amount(8_000, 1),
                    }
                ),
                max_size=4,
            )
        ),
        "round_trip": draw(st.booleans()),
        "room_nights": draw(st.integers(0, 2000)),
        "meals": draw(st.integers(0, 10_000)),
        "vegetarian_share": draw(st.decimals(min_value=0, max_value=1, places=2)),
        "materials": {"paper_kg": draw(amount(500)), "printed_kg": draw(amount(500))},
        "waste_kg": draw(amount(5_000)),
    }


def check_invariants(result: FootprintResult) -> None:
    assert result.total_kg == total(line.kg for line in result.lines)
    for line in result.lines:
        assert line.kg == mul(line.quantity, line.factor)
        assert line.kg >= 0 and line.quantity >= 0
        if line.alternative is not None:
            assert line.alternative.kg == mul(line.quantity, line.alternative.factor)
            assert line.alternative.kg <= line.kg  # RF only adds
    assert total(result.by_category.values()) == result.total_kg
    assert result.total_kg >= 0
    payload = json.loads(json.dumps(result.to_dict()))
    again = FootprintResult.from_dict(payload)
    assert again == result
    assert again.to_dict() == payload


@SETTINGS
@given(households())
def test_household_invariants(data):
    check_invariants(household_footprint(parse_household(data)))


@SETTINGS
@given(events())
def test_event_invariants(data):
    check_invariants(event_footprint(parse_event(data)))


# Paths of every numeric quantity; bumping any of them must never lower the total.
def _numeric_paths(data: dict) -> list[tuple]:
    paths: list[tuple] = []
    for key, value in data.items():
        if isinstance(value, Decimal | int) and not isinstance(value, bool):
            paths.append((key,))
        elif isinstance(value, dict):
            paths += [(key, *p) for p in _numeric_paths(value)]
        elif isinstance(value, list):
            for i, item in enumerate(value):
                paths += [(key, i, *p) for p in _numeric_paths(item)]
    return paths


def _bumped(data: dict, path: tuple, delta: Decimal) -> dict:
    out = copy.deepcopy(data)
    target = out
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = target[path[-1]] + (
        int(delta) if isinstance(target[path[-1]], int) else delta
    )
    return out


@SETTINGS
@given(households(), st.data())
def test_household_monotone_in_every_quantity(data, draw):
    paths = _numeric_paths(data)  # always includes household_size
    path = draw.draw(st.sampled_from(paths))
    delta = draw.draw(st.integers(0, 3).map(Decimal))
    bigger = _bumped(data, path, delta)
    before = household_footprint(parse_household(data)).total_kg
    after = household_footprint(parse_household(bigger)).total_kg
    assert after >= before, path


@SETTINGS
@given(events(), st.data())
def test_event_monotone_in_every_quantity(data, draw):
    paths = [p for p in _numeric_paths(data) if p != ("vegetarian_share",)]
    path = draw.draw(st.sampled_from(paths))
    delta = draw.draw(st.integers(0, 3).map(Decimal))
    bigger = _bumped(data, path, delta)
    before = event_footprint(parse_event(data)).total_kg
    after = event_footprint(parse_event(bigger)).total_kg
    assert after >= before, path


@SETTINGS
@given(
    st.decimals(min_value=1, max_value=20000, places=1),
    st.decimals(min_value=0, max_value=100, places=1),
)
def test_flight_monotone_across_haul_bands(km, extra):
    def kg(distance):
        data = {"province": "CN-BJ", "household_size": 1, "flights": [{"distance_km": distance}]}
        return household_footprint(parse_household(data)).total_kg

    assert kg(min(km + extra, Decimal(20040))) >= kg(km)


@SETTINGS
@given(events())
def test_more_vegetarian_meals_never_increase_emissions(data):
    meat_heavy = {**data, "vegetarian_share": Decimal(0)}
    plant_heavy = {**data, "vegetarian_share": Decimal(1)}
    assert (
        event_footprint(parse_event(plant_heavy)).total_kg
        <= event_footprint(parse_event(meat_heavy)).total_kg
    )
