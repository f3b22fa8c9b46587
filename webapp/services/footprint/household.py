"""Household footprint (碳账户 / 零碳家庭): one household, one year.

Formulae (each line: kg = quantity x factor, exactly):

* electricity  kWh/yr (or kWh/month x 12) x provincial grid factor (MEE/NBS, CO2)
* heating      GJ/yr x heat factor; or heated m2 x assumed GJ/m2/yr x heat factor
* home fuel    natural gas m3 x kgCO2/m3; LPG kg x kgCO2/kg (NDRC defaults, CO2)
* car          vehicle-km x DESNZ per-vkm factor; electric: kWh (km x kWh/100 km / 100)
               x provincial grid factor
* taxi, public transport   passenger-km x per-pkm factor
* flights      great-circle km x legs x passengers x DESNZ band factor (with RF counted)
* diet         household members x 365 days x per-person-day diet factor
* waste        kg x residual-waste landfill factor (per t / 1000)

Per person = total / household_size; benchmarked against China's per-capita energy CO2.
"""

from __future__ import annotations

from decimal import Decimal

from .arithmetic import mul, plain
from .factors import FactorSet, load_factor_set
from .geo import flight_distance_km
from .inputs import HouseholdInput
from .result import FootprintResult, Line, make_line
from .transport import car_line, distance_line, electricity_factor, flight_line

DAYS_PER_YEAR = Decimal(365)
MONTHS_PER_YEAR = Decimal(12)

_TRANSIT = (
    ("bus_km", "bus", "transit.bus"),
    ("metro_km", "metro", "transit.metro"),
    ("rail_km", "rail", "transit.rail"),
    ("high_speed_rail_km", "high_speed_rail", "transit.high_speed_rail"),
)


def _energy_lines(fs: FactorSet, h: HouseholdInput) -> list[Line]:
    lines = []
    kwh, detail = None, ""
    if h.electricity_kwh_month is not None:
        kwh = mul(h.electricity_kwh_month, MONTHS_PER_YEAR)
        detail = f"{plain(h.electricity_kwh_month)} kWh/month x 12"
    elif h.electricity_kwh is not None:
        kwh, detail = h.electricity_kwh, f"{plain(h.electricity_kwh)} kWh/yr"
    if kwh is not None:
        lines.append(
            make_line(
                electricity_factor(fs, h.province),
                category="electricity",
                activity="electricity",
                quantity=kwh,
                unit="kWh",
                detail=detail,
            )
        )
    heat = fs.for_role("heat.per_gj")
    if h.heat_gj is not None:
        lines.append(
            make_line(
                heat,
                category="heating",
                activity="heat",
                quantity=h.heat_gj,
                unit="GJ",
                detail=f"{plain(h.heat_gj)} GJ/yr",
            )
        )
    elif h.heated_area_m2 is not None:
        intensity = fs.for_role("heat.gj_per_m2_year")
        gj_per_m2, _unit = intensity.per_kg()
        lines.append(
            make_line(
                heat,
                category="heating",
                activity="heat.area",
                quantity=mul(h.heated_area_m2, gj_per_m2),
                unit="GJ",
                detail=f"{plain(h.heated_area_m2)} m2 x {plain(gj_per_m2)} GJ/m2/yr (assumed)",
                basis=(intensity.id,),
            )
        )
    for value, role, activity, unit in (
        (h.natural_gas_m3, "fuel.natural_gas_m3", "natural_gas", "m3"),
        (h.lpg_kg, "fuel.lpg_kg", "lpg", "kg"),
    ):
        if value is not None:
            lines.append(
                make_line(
                    fs.for_role(role),
                    category="home_fuel",
                    activity=activity,
                    quantity=value,
                    unit=unit,
                    detail=f"{plain(value)} {unit}/yr",
                )
            )
    return lines


def _travel_lines(fs: FactorSet, h: HouseholdInput) -> list[Line]:
    lines = [car_line(fs, h.province, car, "car") for car in h.cars]
    if h.taxi_km is not None:
        lines.append(
            distance_line(
                fs,
                "taxi",
                pkm=h.taxi_km,
                category="taxi",
                activity="taxi",
                detail=f"{plain(h.taxi_km)} km",
            )
        )
    for field, role, activity in _TRANSIT:
        km = getattr(h.transit, field)
        if km is not None:
            lines.append(
                distance_line(
                    fs,
                    role,
                    pkm=km,
                    category="public_transport",
                    activity=activity,
                    detail=f"{plain(km)} km",
                )
            )
    for f in h.flights:
        if f.origin is not None and f.destination is not None:
            km, route = flight_distance_km(f.origin, f.destination), f"{f.origin}-{f.destination}"
        elif f.distance_km is not None:
            km, route = f.distance_km, ""
        else:
            raise ValueError("a flight needs airports or distance_km (use parse_household)")
        lines.append(
            flight_line(
                fs,
                one_way_km=km,
                legs=2 if f.return_trip else 1,
                passengers=f.passengers,
                cabin=f.cabin,
                category="flights",
                route=route,
            )
        )
    return lines


def _other_lines(fs: FactorSet, h: HouseholdInput) -> list[Line]:
    lines = []
    if h.diet is not None:
        person_days = mul(Decimal(h.household_size), DAYS_PER_YEAR)
        lines.append(
            make_line(
                fs.for_role(f"diet.{h.diet}"),
                category="diet",
                activity=f"diet.{h.diet}",
                quantity=person_days,
                unit="person-day",
                detail=f"{h.household_size} person(s) x 365 days",
            )
        )
    if h.waste_kg is not None:
        lines.append(
            make_line(
                fs.for_role("waste.residual"),
                category="waste",
                activity="waste",
                quantity=h.waste_kg,
                unit="kg",
                detail=f"{plain(h.waste_kg)} kg/yr",
            )
        )
    return lines


def household_footprint(h: HouseholdInput, factor_set: str | None = None) -> FootprintResult:
    """Annual footprint of a validated household input (see :func:`parse_household`)."""
    fs = load_factor_set(factor_set)
    lines = _energy_lines(fs, h) + _travel_lines(fs, h) + _other_lines(fs, h)
    return FootprintResult.build(
        fs.version,
        "household",
        lines,
        people=h.household_size,
        benchmark=fs.for_role("benchmark.per_capita"),
    )
