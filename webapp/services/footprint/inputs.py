"""Typed, validated inputs for the calculators (built by :mod:`.validation`).

All quantities are non-negative ``Decimal`` values in the unit named by the field; ``None``
means "not given" (no line is produced), which is different from an explicit zero (a line
with 0 kg is produced, so the user sees that the activity was considered).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

CAR_FUELS = ("petrol", "diesel", "hybrid", "electric")
CABINS = ("average", "economy", "business")
# Diet keys follow the Scarborough et al. (2014) categories of the factor set.
# "average_meat" is accepted by validation as an alias of "medium_meat".
DIETS = ("high_meat", "medium_meat", "low_meat", "pescatarian", "vegetarian", "vegan")
TRAVEL_MODES = ("flight", "high_speed_rail", "rail", "coach", "car", "taxi", "metro_bus")


@dataclass(frozen=True)
class CarInput:
    fuel: str  # one of CAR_FUELS
    km: Decimal  # vehicle-km


@dataclass(frozen=True)
class FlightInput:
    origin: str | None  # IATA, upper case
    destination: str | None
    distance_km: Decimal | None  # one-way great-circle km when airports are not given
    return_trip: bool
    cabin: str  # one of CABINS
    passengers: int = 1


@dataclass(frozen=True)
class TransitInput:
    bus_km: Decimal | None = None
    metro_km: Decimal | None = None
    rail_km: Decimal | None = None
    high_speed_rail_km: Decimal | None = None


@dataclass(frozen=True)
class HouseholdInput:
    """One household, one year."""

    province: str  # ISO 3166-2:CN code, normalised ("CN-SD")
    household_size: int
    electricity_kwh: Decimal | None = None  # per year
    electricity_kwh_month: Decimal | None = None  # per month (x12); exclusive with the above
    natural_gas_m3: Decimal | None = None
    lpg_kg: Decimal | None = None
    heat_gj: Decimal | None = None
    heated_area_m2: Decimal | None = None  # exclusive with heat_gj
    cars: tuple[CarInput, ...] = ()
    taxi_km: Decimal | None = None
    transit: TransitInput = TransitInput()
    flights: tuple[FlightInput, ...] = ()
    diet: str | None = None  # one of DIETS, applied to every household member
    waste_kg: Decimal | None = None


@dataclass(frozen=True)
class TravelInput:
    mode: str  # one of TRAVEL_MODES
    people: int
    one_way_km: Decimal


@dataclass(frozen=True)
class EventInput:
    province: str
    participants: int
    days: int = 1
    venue_natural_gas_m3: Decimal | None = None
    venue_diesel_l: Decimal | None = None
    venue_electricity_kwh: Decimal | None = None
    venue_heat_gj: Decimal | None = None
    official_vehicles: tuple[CarInput, ...] = ()
    travel: tuple[TravelInput, ...] = ()
    round_trip: bool = True
    room_nights: int | None = None
    meals: int | None = None
    vegetarian_share: Decimal = Decimal(0)
    paper_kg: Decimal | None = None
    printed_kg: Decimal | None = None
    waste_kg: Decimal | None = None
