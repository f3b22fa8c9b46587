"""Untrusted dict input -> typed calculator input, with per-field errors.

``parse_household`` and ``parse_event`` either return a frozen input dataclass or raise
:class:`FootprintInputError` whose ``errors`` maps every offending field path to a
message.  Unknown keys are rejected at every level, so a typo never silently drops data.

Upper limits (below) are generous plausibility bounds, not policy: they keep absurd or
hostile values (and the exact arithmetic) within range.  Units are per year for a
household and per event for an event.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from .geo import find_airport, normalise_province_code
from .inputs import (
    CABINS,
    CAR_FUELS,
    DIETS,
    TRAVEL_MODES,
    CarInput,
    EventInput,
    FlightInput,
    HouseholdInput,
    TransitInput,
    TravelInput,
)
from .parsing import FootprintInputError, Obj

__all__ = [
    "EVENT_LIMITS",
    "HOUSEHOLD_LIMITS",
    "FootprintInputError",
    "parse_event",
    "parse_household",
]

D = Decimal
HOUSEHOLD_LIMITS: dict[str, Decimal] = {
    "household_size": D(50),
    "electricity_kwh": D(1_000_000),
    "electricity_kwh_month": D(100_000),
    "natural_gas_m3": D(100_000),
    "lpg_kg": D(20_000),
    "heat_gj": D(10_000),
    "heated_area_m2": D(10_000),
    "cars": D(20),  # entries
    "cars[].km": D(500_000),
    "taxi_km": D(200_000),
    "transit.*": D(500_000),
    "flights": D(200),  # entries
    "flights[].distance_km": D(20_040),  # half the Earth's circumference
    "flights[].passengers": D(50),
    "waste_kg": D(50_000),
}
EVENT_LIMITS: dict[str, Decimal] = {
    "participants": D(1_000_000),
    "days": D(366),
    "venue_fuel.natural_gas_m3": D(10_000_000),
    "venue_fuel.diesel_l": D(10_000_000),
    "venue.electricity_kwh": D(100_000_000),
    "venue.heat_gj": D(10_000_000),
    "official_vehicles": D(500),  # entries
    "official_vehicles[].km": D(1_000_000),
    "travel": D(100),  # entries
    "travel[].people": D(1_000_000),
    "travel[].one_way_km": D(20_040),
    "room_nights": D(10_000_000),
    "meals": D(100_000_000),
    "materials.*": D(10_000_000),
    "waste_kg": D(100_000_000),
}
DIET_ALIASES = {"average_meat": "medium_meat", "average": "medium_meat"}

_HOUSEHOLD_FIELDS = (
    "province",
    "household_size",
    "electricity_kwh",
    "electricity_kwh_month",
    "natural_gas_m3",
    "lpg_kg",
    "heat_gj",
    "heated_area_m2",
    "cars",
    "taxi_km",
    "transit",
    "flights",
    "diet",
    "waste_kg",
)
_TRANSIT_FIELDS = ("bus_km", "metro_km", "rail_km", "high_speed_rail_km")
_FLIGHT_FIELDS = ("from", "to", "distance_km", "return", "cabin", "passengers")
_EVENT_FIELDS = (
    "province",
    "participants",
    "days",
    "venue_fuel",
    "venue",
    "official_vehicles",
    "travel",
    "round_trip",
    "room_nights",
    "meals",
    "vegetarian_share",
    "materials",
    "waste_kg",
)


def _int(limit: Decimal) -> int:
    return int(limit)


def _province(obj: Obj) -> str | None:
    raw = obj.text("province", required=True)
    if raw is None:
        return None
    code = normalise_province_code(raw)
    if code is None:
        obj.error("province", _l("Unknown province. Use an ISO 3166-2:CN code such as CN-SD."))
    return code


AIRPORT_TEXT_MAX = 40


def _airport(obj: Obj, name: str) -> str | None:
    """An airport given by its IATA code or by a city or airport name in Chinese or
    English (杭州, Hangzhou, 萧山): the IATA code, or a field error."""
    raw = obj.text(name, max_length=AIRPORT_TEXT_MAX)
    if raw is None:
        return None
    found = find_airport(raw)
    if found is None:
        obj.error(
            name,
            _l("Unknown airport or city. Type a city (杭州, Hangzhou) or an airport code (HGH)."),
        )
        return None
    return found.iata


def _cars(parent: Obj, name: str, limits: dict[str, Decimal]) -> tuple[CarInput, ...]:
    cars = []
    for path, item in parent.items(name, max_items=_int(limits[name])):
        car = Obj(item, path, parent.errors, ("fuel", "km"))
        fuel = car.choice("fuel", CAR_FUELS, required=True)
        km = car.decimal("km", maximum=limits[f"{name}[].km"], required=True)
        if fuel is not None and km is not None:
            cars.append(CarInput(fuel, km))
    return tuple(cars)


def _flight(path: str, item: object, errors: dict[str, Any]) -> FlightInput | None:
    before = len(errors)
    f = Obj(item, path, errors, _FLIGHT_FIELDS)
    origin, destination = _airport(f, "from"), _airport(f, "to")
    distance = f.decimal(
        "distance_km", minimum=D(1), maximum=HOUSEHOLD_LIMITS["flights[].distance_km"]
    )
    if f.given("from") or f.given("to"):
        if f.given("distance_km"):
            f.error("distance_km", _l("Give either airport codes or distance_km, not both."))
        for name in ("from", "to"):
            if not f.given(name):
                f.error(name, _l("This field is required."))
        if origin is not None and origin == destination:
            f.error("to", _l("Destination must differ from origin."))
    elif not f.given("distance_km") and isinstance(item, Mapping):
        errors.setdefault(path, _l("Give from and to airport codes, or distance_km."))
    return_trip = f.boolean("return", default=False)
    cabin = f.choice("cabin", CABINS) or "average"
    passengers = f.integer(
        "passengers", minimum=1, maximum=_int(HOUSEHOLD_LIMITS["flights[].passengers"])
    )
    if len(errors) != before:
        return None
    return FlightInput(origin, destination, distance, return_trip, cabin, passengers or 1)


def parse_household(data: object) -> HouseholdInput:
    """Validate a household (per-year) calculation request."""
    errors: dict[str, Any] = {}
    root = Obj(data, "", errors, _HOUSEHOLD_FIELDS)
    if not root.valid:
        raise FootprintInputError(errors)
    lim = HOUSEHOLD_LIMITS
    province = _province(root)
    size = root.integer(
        "household_size", minimum=1, maximum=_int(lim["household_size"]), required=True
    )
    amounts = {
        name: root.decimal(name, maximum=lim[name])
        for name in (
            "electricity_kwh",
            "electricity_kwh_month",
            "natural_gas_m3",
            "lpg_kg",
            "heat_gj",
            "heated_area_m2",
            "taxi_km",
            "waste_kg",
        )
    }
    for first, second in (
        ("electricity_kwh", "electricity_kwh_month"),
        ("heat_gj", "heated_area_m2"),
    ):
        if root.given(first) and root.given(second):
            root.error(second, _l("Give %(a)s or %(b)s, not both.", a=first, b=second))
    cars = _cars(root, "cars", lim)
    transit = TransitInput()
    transit_obj = root.obj("transit", _TRANSIT_FIELDS)
    if transit_obj is not None:
        transit = TransitInput(
            **{n: transit_obj.decimal(n, maximum=lim["transit.*"]) for n in _TRANSIT_FIELDS}
        )
    flights = [
        _flight(path, item, errors)
        for path, item in root.items("flights", max_items=_int(lim["flights"]))
    ]
    diet = root.choice("diet", DIETS, aliases=DIET_ALIASES)
    if errors or province is None or size is None:
        raise FootprintInputError(errors)
    return HouseholdInput(
        province=province,
        household_size=size,
        cars=cars,
        transit=transit,
        flights=tuple(f for f in flights if f is not None),
        diet=diet,
        **amounts,
    )


def parse_event(data: object) -> EventInput:
    """Validate an event (大型活动) calculation request."""
    errors: dict[str, Any] = {}
    root = Obj(data, "", errors, _EVENT_FIELDS)
    if not root.valid:
        raise FootprintInputError(errors)
    lim = EVENT_LIMITS
    province = _province(root)
    participants = root.integer(
        "participants", minimum=1, maximum=_int(lim["participants"]), required=True
    )
    days = root.integer("days", minimum=1, maximum=_int(lim["days"]))
    fuel = root.obj("venue_fuel", ("natural_gas_m3", "diesel_l"))
    venue = root.obj("venue", ("electricity_kwh", "heat_gj"))
    materials = root.obj("materials", ("paper_kg", "printed_kg"))

    def amount(obj: Obj | None, name: str) -> Decimal | None:
        if obj is None:
            return None
        return obj.decimal(name, maximum=lim.get(f"{obj.path}.{name}") or lim[f"{obj.path}.*"])

    travel = []
    for path, item in root.items("travel", max_items=_int(lim["travel"])):
        t = Obj(item, path, errors, ("mode", "people", "one_way_km"))
        mode = t.choice("mode", TRAVEL_MODES, required=True)
        people = t.integer("people", minimum=0, maximum=_int(lim["travel[].people"]), required=True)
        km = t.decimal("one_way_km", maximum=lim["travel[].one_way_km"], required=True)
        if mode is not None and people is not None and km is not None:
            travel.append(TravelInput(mode, people, km))
    values = {
        "venue_natural_gas_m3": amount(fuel, "natural_gas_m3"),
        "venue_diesel_l": amount(fuel, "diesel_l"),
        "venue_electricity_kwh": amount(venue, "electricity_kwh"),
        "venue_heat_gj": amount(venue, "heat_gj"),
        "paper_kg": amount(materials, "paper_kg"),
        "printed_kg": amount(materials, "printed_kg"),
    }
    vehicles = _cars(root, "official_vehicles", lim)
    round_trip = root.boolean("round_trip", default=True)
    room_nights = root.integer("room_nights", minimum=0, maximum=_int(lim["room_nights"]))
    meals = root.integer("meals", minimum=0, maximum=_int(lim["meals"]))
    share = root.decimal("vegetarian_share", maximum=D(1))
    waste = root.decimal("waste_kg", maximum=lim["waste_kg"])
    if errors or province is None or participants is None:
        raise FootprintInputError(errors)
    return EventInput(
        province=province,
        participants=participants,
        days=days or 1,
        official_vehicles=vehicles,
        travel=tuple(travel),
        round_trip=round_trip,
        room_nights=room_nights,
        meals=meals,
        vegetarian_share=share if share is not None else D(0),
        waste_kg=waste,
        **values,
    )
