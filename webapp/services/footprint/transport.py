"""Line builders shared by the household and event calculators: cars and flights.

Flights: DESNZ factors are applied to the great-circle distance (they already contain
DESNZ's distance uplift).  The haul band is chosen from the one-way great-circle distance
using DESNZ's own band definitions: short-haul below 3,700 km, long-haul from 3,700 km.
The total counts the factor *with* radiative forcing (RF); the same line carries the
without-RF figure as an ``alternative`` for display and for CO2-only reporting.
"""

from __future__ import annotations

from decimal import Decimal

from .arithmetic import mul, plain, shift
from .factors import Factor, FactorSet
from .inputs import CarInput
from .result import Line, make_line

LONG_HAUL_MIN_KM = Decimal(3700)
COUNTED_RF = "with_rf"  # the variant counted in totals
SHOWN_RF = "without_rf"  # the variant shown alongside


def electricity_factor(fs: FactorSet, province: str) -> Factor:
    """MEE/NBS grid factor assigned to the province in this factor set."""
    return fs.for_role(f"electricity.{province}")


def car_line(fs: FactorSet, province: str, car: CarInput, category: str) -> Line:
    """Petrol/diesel/hybrid: DESNZ per vehicle-km.  Electric: km x kWh/100 km / 100 gives
    kWh, multiplied by the province's grid factor (the line's factor)."""
    if car.fuel == "electric":
        efficiency = fs.for_role("car.electric_kwh_per_100km")
        per_100km, _unit = efficiency.per_kg()
        kwh = shift(mul(car.km, per_100km), -2)
        return make_line(
            electricity_factor(fs, province),
            category=category,
            activity="car.electric",
            quantity=kwh,
            unit="kWh",
            detail=f"{plain(car.km)} km x {plain(per_100km)} kWh/100 km",
            basis=(efficiency.id,),
        )
    return make_line(
        fs.for_role(f"car.{car.fuel}"),
        category=category,
        activity=f"car.{car.fuel}",
        quantity=car.km,
        unit="vkm",
        detail=f"{plain(car.km)} km",
    )


def haul_band(one_way_km: Decimal) -> str:
    return "long_haul" if one_way_km >= LONG_HAUL_MIN_KM else "short_haul"


def flight_line(
    fs: FactorSet,
    *,
    one_way_km: Decimal,
    legs: int,
    passengers: int,
    cabin: str,
    category: str,
    route: str = "",
    activity: str = "flight",
) -> Line:
    """passenger-km = one-way km x legs (2 for a return trip) x passengers."""
    band = haul_band(one_way_km)
    pkm = mul(one_way_km, Decimal(legs), Decimal(passengers))
    counted = fs.for_role(f"flight.{band}.{cabin}.{COUNTED_RF}")
    shown = fs.for_role(f"flight.{band}.{cabin}.{SHOWN_RF}")
    where = f"{route} " if route else ""
    return make_line(
        counted,
        category=category,
        activity=activity,
        quantity=pkm,
        unit="pkm",
        detail=(
            f"{where}{plain(one_way_km)} km x {legs} leg(s) x {passengers} passenger(s), "
            f"{cabin}, {band}, {COUNTED_RF}"
        ),
        alternative=(SHOWN_RF, shown),
    )


def distance_line(
    fs: FactorSet, role: str, *, pkm: Decimal, category: str, activity: str, detail: str
) -> Line:
    """A passenger-km line for bus, metro, rail, high-speed rail, coach or taxi."""
    return make_line(
        fs.for_role(role),
        category=category,
        activity=activity,
        quantity=pkm,
        unit="pkm",
        detail=detail,
    )
