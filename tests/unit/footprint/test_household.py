"""Household calculator: every category against hand-computed values.

Factor values used (factor set cn-2026.1, from shared/reference/factors.json):
  Shandong grid 2022 0.641 kgCO2/kWh; Beijing 0.558; Southwest grid 2023 0.2472 (Xizang)
  heat 0.11 tCO2/GJ; natural gas 2.165 kgCO2/m3; LPG 3.1013 kgCO2/kg
  DESNZ 2024: petrol car 0.1645, diesel 0.16984, hybrid 0.12607 kgCO2e/vkm;
  taxi 0.14861, bus 0.10846, light rail 0.0286, national rail 0.03546 kgCO2e/pkm;
  short-haul economy 0.18287 (with RF) / 0.10794 (without); long-haul business
  0.58028 / 0.34252; short-haul average 0.18592 / 0.10974
  China HSR 0.03048 kgCO2/pkm; diets (kgCO2e/person/day) medium 5.63, vegan 2.89
  residual waste landfill 497.04416 kgCO2e/t; per-capita benchmark 8.9 tCO2
  assumptions: 0.4 GJ/m2/yr heated area; 15 kWh/100 km electric car
"""

from __future__ import annotations

import math
from decimal import Decimal as D

import pytest

from webapp.services.footprint import (
    airport,
    household_footprint,
    parse_household,
)


def run(**fields):
    return household_footprint(
        parse_household({"province": "CN-SD", "household_size": 1, **fields})
    )


def only_line(result):
    assert len(result.lines) == 1
    return result.lines[0]


def test_electricity_per_year_and_per_month():
    line = only_line(run(electricity_kwh=3600))
    assert line.kg == D("2307.6")  # 3600 kWh x 0.641
    assert (line.category, line.factor_id) == ("electricity", "cn.grid.province.shandong.2022")
    monthly = only_line(run(electricity_kwh_month="300"))
    assert monthly.quantity == D(3600)  # 300 x 12
    assert monthly.kg == D("2307.6")


def test_electricity_uses_province_and_regional_fallback():
    beijing = household_footprint(
        parse_household({"province": "bj", "household_size": 1, "electricity_kwh": 1000})
    )
    assert beijing.total_kg == D("558")  # 1000 x 0.558
    xizang = household_footprint(
        parse_household({"province": "CN-XZ", "household_size": 1, "electricity_kwh": 1000})
    )
    assert xizang.total_kg == D("247.2")  # 1000 x 0.2472 (Southwest grid 2023)
    assert xizang.lines[0].factor_id == "cn.grid.region.southwest.2023"


def test_heating_from_gj_and_from_area():
    line = only_line(run(heat_gj=20))
    assert line.kg == D("2200")  # 20 GJ x 0.11 t/GJ = 2.2 t
    assert (line.factor, line.factor_unit) == (D("110"), "kgCO2/GJ")
    area = only_line(run(heated_area_m2=90))
    assert area.quantity == D("36")  # 90 m2 x 0.4 GJ/m2/yr
    assert area.kg == D("3960")  # 36 GJ x 110 kg/GJ
    assert area.basis == ("assume.heat.gj_per_m2_year",)


def test_home_fuels():
    result = run(natural_gas_m3=200, lpg_kg=150)
    kg = {line.activity: line.kg for line in result.lines}
    assert kg == {"natural_gas": D("433"), "lpg": D("465.195")}  # 200x2.165; 150x3.1013
    assert result.by_category == {"home_fuel": D("898.195")}


def test_cars_by_fuel():
    result = run(
        cars=[
            {"fuel": "petrol", "km": 10000},
            {"fuel": "diesel", "km": 10000},
            {"fuel": "hybrid", "km": 10000},
            {"fuel": "electric", "km": 12000},
        ]
    )
    kg = [line.kg for line in result.lines]
    # 10000x0.1645; 10000x0.16984; 10000x0.12607; 12000 km x 15/100 = 1800 kWh x 0.641
    assert kg == [D("1645"), D("1698.4"), D("1260.7"), D("1153.8")]
    electric = result.lines[3]
    assert (electric.quantity, electric.unit) == (D("1800"), "kWh")
    assert electric.factor_id == "cn.grid.province.shandong.2022"
    assert electric.basis == ("assume.ev.kwh_per_100km",)
    assert result.by_category == {"car": D("5757.9")}  # 1645+1698.4+1260.7+1153.8


def test_taxi_and_public_transport():
    result = run(
        taxi_km=300,
        transit={"bus_km": 1000, "metro_km": 2000, "rail_km": 500, "high_speed_rail_km": 3000},
    )
    kg = {line.activity: line.kg for line in result.lines}
    assert kg == {
        "taxi": D("44.583"),  # 300 x 0.14861
        "transit.bus": D("108.46"),  # 1000 x 0.10846
        "transit.metro": D("57.2"),  # 2000 x 0.0286
        "transit.rail": D("17.73"),  # 500 x 0.03546
        "transit.high_speed_rail": D("91.44"),  # 3000 x 0.03048
    }
    assert result.by_category == {"taxi": D("44.583"), "public_transport": D("274.83")}


def test_flight_by_distance_short_haul_return_economy():
    line = only_line(run(flights=[{"distance_km": 1000, "return": True, "cabin": "economy"}]))
    assert line.quantity == D("2000")  # 1000 km x 2 legs
    assert line.kg == D("365.74")  # 2000 x 0.18287 (with RF, counted)
    assert line.factor_id == "uk.air.short_haul.economy.with_rf.2024"
    assert line.alternative.factor_id == "uk.air.short_haul.economy.without_rf.2024"
    assert line.alternative.kg == D("215.88")  # 2000 x 0.10794


def test_flight_long_haul_business_and_passengers():
    line = only_line(run(flights=[{"distance_km": 9000, "cabin": "business", "passengers": 2}]))
    assert line.kg == D("10445.04")  # 9000 x 2 x 0.58028
    assert line.alternative.kg == D("6165.36")  # 18000 x 0.34252


@pytest.mark.parametrize(
    ("km", "factor_id"),
    [
        (3699, "uk.air.short_haul.avg.with_rf.2024"),
        (3700, "uk.air.long_haul.avg.with_rf.2024"),
    ],
)
def test_haul_band_threshold(km, factor_id):
    assert only_line(run(flights=[{"distance_km": km}])).factor_id == factor_id


def _float_haversine(a, b):
    """Independent float cross-check of the decimal implementation."""
    p1, p2 = math.radians(float(a.lat)), math.radians(float(b.lat))
    dp, dl = p2 - p1, math.radians(float(b.lon) - float(a.lon))
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def test_flight_by_airports():
    line = only_line(run(flights=[{"from": "pek", "to": "CAN", "return": True}]))
    one_way = line.quantity / 2
    assert abs(float(one_way) - _float_haversine(airport("PEK"), airport("CAN"))) <= 0.5
    assert one_way == one_way.to_integral_value()
    assert line.kg == line.quantity * D("0.18592")  # short-haul average, with RF
    assert line.detail.startswith("PEK-CAN ")


def test_diet_and_waste():
    result = household_footprint(
        parse_household(
            {"province": "CN-SD", "household_size": 3, "diet": "average_meat", "waste_kg": 400}
        )
    )
    kg = {line.activity: line.kg for line in result.lines}
    assert kg == {
        "diet.medium_meat": D("6164.85"),  # 3 x 365 = 1095 person-days x 5.63
        "waste": D("198.817664"),  # 400 kg x 497.04416 / 1000
    }
    vegan = only_line(run(diet="vegan"))
    assert vegan.kg == D("1054.85")  # 365 x 2.89


def test_totals_per_person_shares_and_benchmark():
    result = household_footprint(
        parse_household(
            {"province": "CN-SD", "household_size": 2, "electricity_kwh": 3600, "heat_gj": 20}
        )
    )
    assert result.total_kg == D("4507.6")  # 2307.6 + 2200
    assert result.per_person_kg == D("2253.8")  # 4507.6 / 2
    assert result.shares() == {"electricity": D("0.511935"), "heating": D("0.488065")}
    # 2307.6/4507.6 = 0.5119353...; 2200/4507.6 = 0.4880646...
    assert result.benchmark.factor_id == "cn.percapita.energy_co2.2023"
    assert result.benchmark.reference_kg == D("8900")
    assert result.benchmark.ratio == D("0.253236")  # 2253.8 / 8900 = 0.2532359...


def test_empty_household_is_zero():
    result = run()
    assert result.total_kg == 0 and result.lines == () and result.shares() == {}


def test_explicit_zero_keeps_line():
    line = only_line(run(electricity_kwh=0))
    assert line.kg == 0


def test_factor_set_is_pinned():
    result = household_footprint(
        parse_household({"province": "CN-SD", "household_size": 1}), factor_set="cn-2026.1"
    )
    assert result.factor_set == "cn-2026.1"
