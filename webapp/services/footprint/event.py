"""Event footprint (零碳会议 / 零碳活动), by the emission types of MEE's
《大型活动碳中和实施指南（试行）》(2019):

* ``stationary_combustion``  化石燃料燃烧(固定): venue natural gas m3, diesel L (generators)
* ``mobile_combustion``      化石燃料燃烧(移动): fossil-fuelled official vehicles, vehicle-km
* ``purchased_energy``       净购入电力、热力: venue kWh and GJ; electric official vehicles
* ``travel``                 交通: participants' and organisers' travel, passenger-km
* ``accommodation_catering`` 住宿餐饮: room-nights; meals split by vegetarian share
* ``materials``              会议用品隐含排放: paper and printed matter, kg
* ``waste``                  废弃物处理: kg to landfill

Travel: people x one-way km x (2 if round_trip).  ``car`` uses the DESNZ per-vehicle-km
factor with one traveller per car (conservative); ``metro_bus`` uses the local-bus factor
(the higher of the two urban placeholders).  Flights use the DESNZ band for the one-way
distance, average cabin, with RF counted and without RF shown.

:func:`compare` sets an estimate (筹备阶段) against the actual figures (收尾阶段).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .arithmetic import mul, plain, sub, total
from .factors import FactorSet, load_factor_set
from .inputs import EventInput, TravelInput
from .result import FootprintResult, Line, make_line
from .transport import car_line, distance_line, electricity_factor, flight_line

_TRAVEL_ROLES = {
    "high_speed_rail": "high_speed_rail",
    "rail": "rail",
    "coach": "coach",
    "taxi": "taxi",
    "metro_bus": "bus",
}


def _travel_line(fs: FactorSet, t: TravelInput, legs: int) -> Line:
    detail = f"{t.people} people x {plain(t.one_way_km)} km x {legs} leg(s)"
    if t.mode == "flight":
        return flight_line(
            fs,
            one_way_km=t.one_way_km,
            legs=legs,
            passengers=t.people,
            cabin="average",
            category="travel",
            activity="travel.flight",
        )
    pkm = mul(Decimal(t.people), t.one_way_km, Decimal(legs))
    if t.mode == "car":
        return make_line(
            fs.for_role("car.petrol"),
            category="travel",
            activity="travel.car",
            quantity=pkm,
            unit="vkm",
            detail=detail + ", one traveller per car",
        )
    return distance_line(
        fs,
        _TRAVEL_ROLES[t.mode],
        pkm=pkm,
        category="travel",
        activity=f"travel.{t.mode}",
        detail=detail,
    )


def _venue_lines(fs: FactorSet, e: EventInput) -> list[Line]:
    grid = electricity_factor(fs, e.province)
    lines = []
    for value, factor, activity, unit, category in (
        (e.venue_natural_gas_m3, fs.for_role("fuel.natural_gas_m3"), "venue.natural_gas", "m3",
         "stationary_combustion"),
        (e.venue_diesel_l, fs.for_role("fuel.diesel_litre"), "venue.diesel", "L",
         "stationary_combustion"),
        (e.venue_electricity_kwh, grid, "venue.electricity", "kWh", "purchased_energy"),
        (e.venue_heat_gj, fs.for_role("heat.per_gj"), "venue.heat", "GJ", "purchased_energy"),
    ):  # fmt: skip
        if value is not None:
            lines.append(
                make_line(
                    factor,
                    category=category,
                    activity=activity,
                    quantity=value,
                    unit=unit,
                    detail=f"{plain(value)} {unit}",
                )
            )
    for car in e.official_vehicles:
        category = "purchased_energy" if car.fuel == "electric" else "mobile_combustion"
        lines.append(car_line(fs, e.province, car, category))
    return lines


def _stay_lines(fs: FactorSet, e: EventInput) -> list[Line]:
    lines = []
    if e.room_nights is not None:
        lines.append(
            make_line(
                fs.for_role("hotel.room_night"),
                category="accommodation_catering",
                activity="hotel",
                quantity=Decimal(e.room_nights),
                unit="room-night",
                detail=f"{e.room_nights} room-nights",
            )
        )
    if e.meals is not None:
        meals = Decimal(e.meals)
        vegetarian = mul(meals, e.vegetarian_share)
        for role, activity, quantity in (
            ("meal.meat", "meal.meat", sub(meals, vegetarian)),
            ("meal.vegetarian", "meal.vegetarian", vegetarian),
        ):
            lines.append(
                make_line(
                    fs.for_role(role),
                    category="accommodation_catering",
                    activity=activity,
                    quantity=quantity,
                    unit="meal",
                    detail=f"{e.meals} meals, vegetarian share {plain(e.vegetarian_share)}",
                )
            )
    for value, activity in ((e.paper_kg, "paper"), (e.printed_kg, "printed")):
        if value is not None:
            lines.append(
                make_line(
                    fs.for_role("material.paper"),
                    category="materials",
                    activity=f"material.{activity}",
                    quantity=value,
                    unit="kg",
                    detail=f"{plain(value)} kg",
                )
            )
    if e.waste_kg is not None:
        lines.append(
            make_line(
                fs.for_role("waste.residual"),
                category="waste",
                activity="waste",
                quantity=e.waste_kg,
                unit="kg",
                detail=f"{plain(e.waste_kg)} kg",
            )
        )
    return lines


def event_footprint(e: EventInput, factor_set: str | None = None) -> FootprintResult:
    """Whole-event footprint of a validated input (see :func:`parse_event`)."""
    fs = load_factor_set(factor_set)
    legs = 2 if e.round_trip else 1
    travel = [_travel_line(fs, t, legs) for t in e.travel]
    lines = _venue_lines(fs, e) + travel + _stay_lines(fs, e)
    return FootprintResult.build(fs.version, "event", lines, people=e.participants)


@dataclass(frozen=True)
class CategoryDifference:
    category: str
    estimate_kg: Decimal
    actual_kg: Decimal
    difference_kg: Decimal  # actual - estimate


@dataclass(frozen=True)
class TrueUp:
    """Actual minus estimate, per category and in total (positive: more to offset)."""

    estimate_factor_set: str
    actual_factor_set: str
    categories: tuple[CategoryDifference, ...]
    estimate_kg: Decimal
    actual_kg: Decimal
    difference_kg: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {
            "estimate_factor_set": self.estimate_factor_set,
            "actual_factor_set": self.actual_factor_set,
            "categories": [
                {
                    "category": c.category,
                    "estimate_kg": plain(c.estimate_kg),
                    "actual_kg": plain(c.actual_kg),
                    "difference_kg": plain(c.difference_kg),
                }
                for c in self.categories
            ],
            "estimate_kg": plain(self.estimate_kg),
            "actual_kg": plain(self.actual_kg),
            "difference_kg": plain(self.difference_kg),
        }


def compare(estimate: FootprintResult, actual: FootprintResult) -> TrueUp:
    """True-up of an estimate against the actual result (same kind; categories missing on
    one side count as 0).  Differences are exact."""
    if estimate.kind != actual.kind:
        raise ValueError(f"cannot compare a {estimate.kind} result with a {actual.kind} result")
    names = list(estimate.by_category)
    names += [c for c in actual.by_category if c not in estimate.by_category]
    zero = Decimal(0)
    rows = tuple(
        CategoryDifference(
            c,
            estimate.by_category.get(c, zero),
            actual.by_category.get(c, zero),
            sub(actual.by_category.get(c, zero), estimate.by_category.get(c, zero)),
        )
        for c in names
    )
    return TrueUp(
        estimate.factor_set,
        actual.factor_set,
        rows,
        estimate.total_kg,
        actual.total_kg,
        sub(total(r.actual_kg for r in rows), total(r.estimate_kg for r in rows)),
    )
