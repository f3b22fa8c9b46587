"""Tanhui footprint engine: pure, framework-free household and event calculators.

Typical use::

    from webapp.services.footprint import parse_household, household_footprint

    result = household_footprint(parse_household(request_json))
    payload = result.to_dict()

Everything is exact ``Decimal`` arithmetic over a versioned factor set
(``webapp/data/factors/<version>.json``); see docs/METHODOLOGY.md.
"""

from .event import CategoryDifference, TrueUp, compare, event_footprint
from .factors import (
    Factor,
    FactorSet,
    UnknownFactorError,
    available_versions,
    latest_version,
    load_factor_set,
)
from .geo import Airport, Province, airport, airports, flight_distance_km, province, provinces
from .greatcircle import EARTH_RADIUS_KM, great_circle_km
from .household import household_footprint
from .inputs import (
    CarInput,
    EventInput,
    FlightInput,
    HouseholdInput,
    TransitInput,
    TravelInput,
)
from .result import METHOD, Alternative, Benchmark, FootprintResult, Line
from .transport import LONG_HAUL_MIN_KM
from .validation import (
    EVENT_LIMITS,
    HOUSEHOLD_LIMITS,
    FootprintInputError,
    parse_event,
    parse_household,
)

__all__ = [
    "EARTH_RADIUS_KM",
    "EVENT_LIMITS",
    "HOUSEHOLD_LIMITS",
    "LONG_HAUL_MIN_KM",
    "METHOD",
    "Airport",
    "Alternative",
    "Benchmark",
    "CarInput",
    "CategoryDifference",
    "EventInput",
    "Factor",
    "FactorSet",
    "FlightInput",
    "FootprintInputError",
    "FootprintResult",
    "HouseholdInput",
    "Line",
    "Province",
    "TransitInput",
    "TravelInput",
    "TrueUp",
    "UnknownFactorError",
    "airport",
    "airports",
    "available_versions",
    "compare",
    "event_footprint",
    "flight_distance_km",
    "great_circle_km",
    "household_footprint",
    "latest_version",
    "load_factor_set",
    "parse_event",
    "parse_household",
    "province",
    "provinces",
]
