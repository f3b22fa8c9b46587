"""Presentation of footprint results: translated names, the SVG chart geometry, reduction
hints, the "offset this" link and the methodology tables.

Everything here reads a stored ``FootprintResult`` (and its normalised inputs) or a factor
set; nothing computes an emission that is counted anywhere.  Hint savings are derived
from the same factor set as the result, so they name no number without a source.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from flask import current_app, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp.i18n import current_lang, number
from webapp.labels import (  # noqa: F401 (re-exported for the views)
    ACTIVITY_LABELS,
    CATEGORY_LABELS,
    PER_UNIT_LABELS,
    UNIT_LABELS,
    VERIFICATION_LABELS,
    activity_label,
    category_label,
    factor_unit_label,
    unit_label,
)
from webapp.services.footprint import FactorSet, FootprintResult, Line
from webapp.services.footprint.arithmetic import plain
from webapp.services.footprint.geo import DATA_DIR
from webapp.services.footprint.geo import province_name as province_name  # shared with services

DIET_ORDER = ("high_meat", "medium_meat", "low_meat", "pescatarian", "vegetarian", "vegan")
DIET_NAMES: dict[str, Any] = {
    "high_meat": _l("High meat (meat at most meals)"),
    "medium_meat": _l("Medium meat (meat most days)"),
    "low_meat": _l("Low meat (meat now and then)"),
    "pescatarian": _l("Pescatarian (fish, no meat)"),
    "vegetarian": _l("Vegetarian"),
    "vegan": _l("Vegan"),
}


def verification_label(status: str) -> str:
    return str(VERIFICATION_LABELS.get(status, status))


def fixed(value: Decimal, digits: int) -> str:
    """Rounded half-up to ``digits`` places, always showing them ("0.70"), localised."""
    value = value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return format_decimal(value, format="#,##0" + ("." + "0" * digits if digits else ""))


def kg_to_tonnes(kg: Decimal | str | int, digits: int = 2) -> str:
    return fixed(Decimal(kg) / 1000, digits)


def grams_to_tonnes(grams: int, digits: int = 2) -> str:
    return kg_to_tonnes(Decimal(grams).scaleb(-3), digits)


def kg_text(kg: Decimal, digits: int = 1) -> str:
    value = kg.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return number(value, digits)


def number_text(value: Decimal, digits: int = 3) -> str:
    return number(value, digits)


def percent(share: Decimal, digits: int | None = None) -> str:
    """A share as a percentage: whole numbers, one decimal below 1 %, "<0.1%" below that."""
    if digits is None:
        if 0 < share < Decimal("0.001"):
            return "<" + number(Decimal("0.1"), 1) + "%"
        digits = 1 if 0 < share < Decimal("0.01") else 0
    value = (share * 100).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return number(value, digits) + "%"


_FLIGHT_DETAIL = re.compile(
    r"^(?:(?P<from>[A-Z]{3})-(?P<to>[A-Z]{3}) )?(?P<km>[\d.]+) km x (?P<legs>\d+) leg\(s\) "
    r"x (?P<pax>\d+) passenger\(s\), (?P<cabin>\w+), (?P<band>\w+), "
)
_BANDS = {"short_haul": _l("short-haul"), "long_haul": _l("long-haul")}
_CABINS = {"average": _l("average cabin"), "economy": _l("economy"), "business": _l("business")}


def flight_description(line: Line) -> str:
    """Route, distance, legs, band and cabin of a flight line, translated ('' if unknown)."""
    match = _FLIGHT_DETAIL.match(line.detail)
    if match is None:
        return ""
    parts = []
    if match["from"]:
        parts.append(f"{match['from']} → {match['to']}")
    parts.append(_("%(km)s km one way", km=number(Decimal(match["km"]), 0)))
    legs = int(match["legs"])
    parts.append(_("return") if legs == 2 else _("one way"))
    pax = int(match["pax"])
    if pax > 1:
        parts.append(_("%(n)s passengers", n=pax))
    parts.append(str(_BANDS.get(match["band"], match["band"])))
    parts.append(str(_CABINS.get(match["cabin"], match["cabin"])))
    return ", ".join(parts)


# ---- chart ---------------------------------------------------------------------------

CHART_WIDTH = 360
ROW_HEIGHT = 52
BAR_HEIGHT = 16
COLOURS = 8


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    kg: Decimal
    share: Decimal
    tonnes: str
    percent: str
    value_text: str  # "1.59 t · 15%", translated
    width: int  # px of CHART_WIDTH
    y: int  # top of the row
    colour: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    row_height: int
    bar_height: int
    bars: tuple[Bar, ...]


def chart(result: FootprintResult) -> Chart:
    """Horizontal bars by category, largest first; the largest bar spans the full width."""
    shares = result.shares()
    items = sorted(result.by_category.items(), key=lambda kv: (-kv[1], kv[0]))
    largest = items[0][1] if items else Decimal(0)
    bars = []
    for index, (key, kg) in enumerate(items):
        width = 0
        if largest > 0 and kg > 0:
            width = max(2, int((kg / largest * CHART_WIDTH).to_integral_value(ROUND_HALF_UP)))
        bars.append(
            Bar(
                key=key,
                label=category_label(key),
                kg=kg,
                share=shares.get(key, Decimal(0)),
                tonnes=kg_to_tonnes(kg),
                percent=percent(shares.get(key, Decimal(0))),
                value_text=_(
                    "%(t)s t · %(share)s",
                    t=kg_to_tonnes(kg),
                    share=percent(shares.get(key, Decimal(0))),
                ),
                width=width,
                y=index * ROW_HEIGHT,
                colour=index % COLOURS,
            )
        )
    return Chart(CHART_WIDTH, max(1, len(bars)) * ROW_HEIGHT, ROW_HEIGHT, BAR_HEIGHT, tuple(bars))


# ---- reduction hints -------------------------------------------------------------------


def _factor(fs: FactorSet, role: str) -> Decimal | None:
    try:
        return fs.for_role(role).per_kg()[0]
    except (KeyError, LookupError):
        return None


def _ten_percent(kg: Decimal) -> str:
    return kg_text(kg / 10, 0)


def _car_hint(result, inputs, fs, kg):
    km = sum((Decimal(c["km"]) for c in inputs.get("cars", [])), Decimal(0))
    metro = _factor(fs, "metro")
    if km > 0 and metro is not None:
        saving = (kg / km - metro) * 1000
        if saving > 0:
            return _(
                "Cars: every 1,000 km you travel by metro instead of by car saves about "
                "%(kg)s kg CO₂e. Car-pooling halves the emissions per person.",
                kg=kg_text(saving, 0),
            )
    return None


def _flight_hint(result, inputs, fs, kg):
    hsr = _factor(fs, "high_speed_rail")
    air = _factor(fs, "flight.short_haul.average.with_rf")
    if hsr is None or air is None or not air:
        return None
    largest = max((line.kg for line in result.lines if line.category == "flights"), default=kg)
    return _(
        "Flights: your largest flight accounts for %(kg)s kg CO₂e. Where high-speed rail is an "
        "option, it emits about %(cut)s less per passenger-km than a short-haul flight.",
        kg=kg_text(largest, 0),
        cut=percent(1 - hsr / air),
    )


def _diet_hint(result, inputs, fs, kg):
    diet, size = inputs.get("diet"), inputs.get("household_size")
    if diet not in DIET_ORDER or diet == DIET_ORDER[-1] or not size:
        return None
    lower = DIET_ORDER[DIET_ORDER.index(diet) + 1]
    now, then = _factor(fs, f"diet.{diet}"), _factor(fs, f"diet.{lower}")
    if now is None or then is None or then >= now:
        return None
    saving = (now - then) * 365 * Decimal(size)
    return _(
        "Food: moving your household from “%(now)s” to “%(then)s” would save about "
        "%(kg)s kg CO₂e a year.",
        now=DIET_NAMES[diet],
        then=DIET_NAMES[lower],
        kg=kg_text(saving, 0),
    )


def _taxi_hint(result, inputs, fs, kg):
    taxi, metro = _factor(fs, "taxi"), _factor(fs, "metro")
    if taxi is None or metro is None or taxi <= metro:
        return None
    return _(
        "Taxi: every 1,000 km by metro instead of by taxi saves about %(kg)s kg CO₂e.",
        kg=kg_text((taxi - metro) * 1000, 0),
    )


def _stay_hint(result, inputs, fs, kg):
    meat, veg = _factor(fs, "meal.meat"), _factor(fs, "meal.vegetarian")
    if not inputs.get("meals") or meat is None or veg is None or meat <= veg:
        hotel = _factor(fs, "hotel.room_night")
        if not inputs.get("room_nights") or hotel is None:
            return None
        return _(
            "Accommodation: every room-night avoided — a shorter programme, guests from "
            "nearby going home — saves about %(kg)s kg CO₂e.",
            kg=kg_text(hotel, 1),
        )
    return _(
        "Catering: every 100 meals served vegetarian instead of with meat save about "
        "%(kg)s kg CO₂e. Ask the hotel for a vegetarian default and fewer buffets.",
        kg=kg_text((meat - veg) * 100, 0),
    )


def _travel_hint(result, inputs, fs, kg):
    hsr = _factor(fs, "high_speed_rail")
    air = _factor(fs, "flight.short_haul.average.with_rf")
    if hsr is None or air is None or not air:
        return None
    return _(
        "Travel: ask participants to come by high-speed rail where it runs — it emits about "
        "%(cut)s less per passenger-km than a short-haul flight — and offer online "
        "participation to those travelling furthest.",
        cut=percent(1 - hsr / air),
    )


def _paper_hint(result, inputs, fs, kg):
    paper = _factor(fs, "material.paper")
    if paper is None:
        return None
    return _(
        "Materials: every 10 kg of paper not printed saves about %(kg)s kg CO₂e; "
        "share programmes and badges electronically.",
        kg=kg_text(paper * 10, 1),
    )


_GENERIC: dict[str, Any] = {
    "electricity": _l(
        "Electricity: using %(pct)s less — efficient air conditioning, LED lighting, switching off "
        "standby — saves about %(kg)s kg CO₂ a year."
    ),
    "heating": _l(
        "Heating: every %(pct)s less heat, for example through better insulation and thermostatic "
        "valves, saves about %(kg)s kg CO₂ a year."
    ),
    "home_fuel": _l(
        "Gas: every %(pct)s less gas for cooking and hot water saves about %(kg)s kg CO₂ a year."
    ),
    "public_transport": _l(
        "Public transport is already a low-carbon choice; walking or cycling short trips "
        "saves about %(kg)s kg CO₂e for every %(pct)s of these kilometres."
    ),
    "waste": _l(
        "Waste: sorting and recycling so that %(pct)s less goes to landfill saves about %(kg)s kg "
        "CO₂e."
    ),
    "stationary_combustion": _l(
        "Venue fuel: every %(pct)s less gas or diesel (e.g. grid power instead of "
        "generators) saves about %(kg)s kg CO₂."
    ),
    "purchased_energy": _l(
        "Venue energy: every %(pct)s less electricity and heat — shorter set-up times, moderate "
        "air conditioning — saves about %(kg)s kg CO₂."
    ),
    "mobile_combustion": _l(
        "Official vehicles: every %(pct)s fewer vehicle-km, by shuttles and shared rides, saves "
        "about %(kg)s kg CO₂e."
    ),
}

_SPECIFIC: dict[str, Callable[..., str | None]] = {
    "car": _car_hint,
    "flights": _flight_hint,
    "diet": _diet_hint,
    "taxi": _taxi_hint,
    "accommodation_catering": _stay_hint,
    "travel": _travel_hint,
    "materials": _paper_hint,
}


def hints(
    result: FootprintResult, inputs: Mapping[str, Any], fs: FactorSet, limit: int = 3
) -> list[str]:
    """Concrete reduction hints for the largest categories (largest first)."""
    out: list[str] = []
    for key, kg in sorted(result.by_category.items(), key=lambda kv: (-kv[1], kv[0])):
        if kg <= 0 or len(out) >= limit:
            continue
        text = None
        if key in _SPECIFIC:
            text = _SPECIFIC[key](result, inputs, fs, kg)
        if text is None and key in _GENERIC:
            text = str(_GENERIC[key]) % {"kg": _ten_percent(kg), "pct": "10%"}
        if text:
            out.append(text)
    return out


# ---- offset link -------------------------------------------------------------------------


def offset_tonnes(total_kg: Decimal) -> str:
    """Tonnes to offset, rounded up to the whole kilogram (the registry's unit)."""
    kg = total_kg.to_integral_value(rounding=ROUND_CEILING)
    return plain(kg.scaleb(-3))


def offset_url(total_kg: Decimal, token: str) -> str | None:
    """The offset flow if it exists, else the projects list, else nothing."""
    if total_kg <= 0:
        return None
    views = current_app.view_functions
    if "offset.start" in views:
        return url_for("offset.start", tonnes=offset_tonnes(total_kg), calculation=token)
    if "registry.projects" in views:
        return url_for("registry.projects")
    return None


# ---- methodology ---------------------------------------------------------------------------

FACTOR_GROUPS: tuple[tuple[str, Any, tuple[str, ...]], ...] = (
    ("electricity", _l("Electricity: grid average CO₂ factors (MEE/NBS)"), ("cn.grid.",)),
    ("fuel", _l("Fuels and heat"), ("cn.fuel.", "cn.heat.")),
    (
        "transport",
        _l("Transport"),
        ("uk.car.", "uk.taxi.", "uk.bus.", "uk.rail.", "cn.rail.", "uk.air."),
    ),
    ("food", _l("Diet and meals"), ("diet.", "event.meal.")),
    ("goods", _l("Hotels, materials and waste"), ("hotel.", "material.", "waste.")),
    ("assumptions", _l("Tanhui assumptions"), ("assume.",)),
    ("benchmark", _l("Benchmark"), ("cn.percapita.",)),
    ("forest", _l("Forest sinks (for the offset features)"), ("forest.",)),
    ("price", _l("Carbon prices (for information)"), ("price.",)),
)


# What a calculator uses a factor for, in words (the methodology page's "Used for").
ROLE_LABELS: dict[str, object] = {
    "benchmark.per_capita": _l("the per-person national benchmark"),
    "bus": _l("bus trips"),
    "coach": _l("coach trips"),
    "metro": _l("metro trips"),
    "rail": _l("train trips"),
    "high_speed_rail": _l("high-speed train trips"),
    "car.electric_kwh_per_100km": _l("electric cars (electricity per 100 km)"),
    "fuel.diesel_litre": _l("diesel burnt (litres)"),
    "fuel.lpg_kg": _l("liquefied petroleum gas (kg)"),
    "fuel.natural_gas_m3": _l("natural gas (m³)"),
    "heat.gj_per_m2_year": _l("district heating per m² of home a year"),
    "heat.per_gj": _l("district heating (per GJ)"),
    "hotel.room_night": _l("hotel nights"),
    "waste.residual": _l("residual waste"),
}
_HAUL = {"short_haul": _l("short-haul"), "long_haul": _l("long-haul")}
_CABIN = {"average": _l("average cabin"), "economy": _l("economy"), "business": _l("business")}
_RF = {"with_rf": _l("with high-altitude effects"), "without_rf": _l("CO₂ only")}


def role_label(role: str) -> str:
    """A factor's role ("flight.long_haul.economy.with_rf", "electricity.CN-ZJ") in words."""

    if role in ROLE_LABELS:
        return str(ROLE_LABELS[role])
    if role in ACTIVITY_LABELS:
        return str(ACTIVITY_LABELS[role])
    if role.startswith("electricity."):
        return _("electricity in %(province)s", province=province_name(role.split(".", 1)[1]))
    parts = role.split(".")
    if len(parts) == 4 and parts[0] == "flight" and parts[1] in _HAUL:
        words = (_HAUL[parts[1]], _CABIN.get(parts[2], parts[2]), _RF.get(parts[3], parts[3]))
        return _(
            "flights, %(detail)s",
            detail=("、" if current_lang() != "en" else ", ").join(str(w) for w in words),
        )
    return role


def factor_groups(fs: FactorSet) -> list[dict[str, Any]]:
    """Every factor of the set, grouped; factors matching no group go to "Other"."""
    roles_by_factor: dict[str, list[str]] = {}
    for role, fid in fs.roles.items():
        roles_by_factor.setdefault(fid, []).append(role)
    groups: dict[str, dict[str, Any]] = {
        key: {"key": key, "title": str(title), "factors": []} for key, title, _p in FACTOR_GROUPS
    }
    other = {"key": "other", "title": _("Other"), "factors": []}
    for factor in fs.factors.values():
        target = other
        for key, _title, prefixes in FACTOR_GROUPS:
            if factor.id.startswith(prefixes):
                target = groups[key]
                break
        target["factors"].append(
            {"factor": factor, "roles": sorted(roles_by_factor.get(factor.id, []))}
        )
    result = [g for g in groups.values() if g["factors"]]
    if other["factors"]:
        result.append(other)
    for group in result:
        group["factors"].sort(key=lambda item: item["factor"].id)
    return result


def factor_value(factor: Any) -> str:
    if factor.value is not None:
        return plain(factor.value)
    if factor.range is not None:
        return f"{plain(factor.range[0])} – {plain(factor.range[1])}"
    if factor.params:
        return ", ".join(f"{k} = {plain(v)}" for k, v in factor.params.items())
    return "—"


def gas_basis(unit: str) -> str:
    if "CO2e" in unit:
        return "CO₂e"
    if "CO2" in unit:
        return "CO₂"
    return ""


@dataclass(frozen=True)
class Formula:
    category: str
    given: Any  # what the user gives
    formula: Any  # how the line is computed
    roles: tuple[str, ...]  # factor roles; "prefix*" matches every role with that prefix


HOUSEHOLD_FORMULAS: tuple[Formula, ...] = (
    Formula(
        "electricity",
        _l("kWh per year, or per month"),
        _l("kWh per year (monthly × 12) × grid factor of the province (table below)"),
        (),
    ),
    Formula("heating", _l("heat in GJ per year"), _l("GJ × heat factor"), ("heat.per_gj",)),
    Formula(
        "heating",
        _l("or heated floor area in m²"),
        _l("m² × assumed GJ per m² per year × heat factor"),
        ("heat.gj_per_m2_year", "heat.per_gj"),
    ),
    Formula(
        "home_fuel",
        _l("natural gas m³ and LPG kg per year"),
        _l("quantity × fuel factor"),
        ("fuel.natural_gas_m3", "fuel.lpg_kg"),
    ),
    Formula(
        "car",
        _l("km per year and fuel (petrol, diesel, hybrid)"),
        _l("vehicle-km × average-car factor for the fuel"),
        ("car.petrol", "car.diesel", "car.hybrid"),
    ),
    Formula(
        "car",
        _l("km per year of an electric car"),
        _l("km × kWh per 100 km ÷ 100 = kWh; kWh × grid factor of the province"),
        ("car.electric_kwh_per_100km",),
    ),
    Formula("taxi", _l("km per year"), _l("passenger-km × taxi factor"), ("taxi",)),
    Formula(
        "public_transport",
        _l("bus, metro, conventional and high-speed rail km per year"),
        _l("passenger-km × factor of the mode"),
        ("bus", "metro", "rail", "high_speed_rail"),
    ),
    Formula(
        "flights",
        _l("airports (great-circle distance) or one-way km; return or one way; cabin; travellers"),
        _l(
            "one-way km × legs × travellers × factor of the haul band and cabin, with radiative "
            "forcing; the figure without it is shown beside and not counted"
        ),
        ("flight.*",),
    ),
    Formula(
        "diet",
        _l("diet type"),
        _l("people × 365 days × factor per person-day"),
        ("diet.*",),
    ),
    Formula(
        "waste", _l("residual waste, kg per year"), _l("kg × landfill factor"), ("waste.residual",)
    ),
)

EVENT_FORMULAS: tuple[Formula, ...] = (
    Formula(
        "stationary_combustion",
        _l("natural gas m³, diesel litres at the venue"),
        _l("quantity × fuel factor"),
        ("fuel.natural_gas_m3", "fuel.diesel_litre"),
    ),
    Formula(
        "purchased_energy",
        _l("venue electricity kWh and heat GJ; electric official vehicles"),
        _l("kWh × grid factor of the event's province; GJ × heat factor"),
        ("heat.per_gj",),
    ),
    Formula(
        "mobile_combustion",
        _l("official vehicles: km and fuel"),
        _l("vehicle-km × average-car factor for the fuel"),
        ("car.petrol", "car.diesel", "car.hybrid"),
    ),
    Formula(
        "travel",
        _l("people × one-way km per mode; return journey by default"),
        _l(
            "people × one-way km × legs × factor of the mode; car: one traveller per car; "
            "flights: average cabin, with radiative forcing"
        ),
        ("high_speed_rail", "rail", "coach", "taxi", "bus", "car.petrol"),
    ),
    Formula(
        "accommodation_catering",
        _l("hotel room-nights; meals and the vegetarian share"),
        _l(
            "room-nights × hotel factor; meals × (1 − share) × meat-meal factor + "
            "meals × share × vegetarian-meal factor"
        ),
        ("hotel.room_night", "meal.meat", "meal.vegetarian"),
    ),
    Formula(
        "materials",
        _l("paper and other printed materials, kg"),
        _l("kg × paper factor"),
        ("material.paper",),
    ),
    Formula("waste", _l("waste, kg"), _l("kg × landfill factor"), ("waste.residual",)),
)


def formula_rows(fs: FactorSet, formulas: tuple[Formula, ...]) -> list[dict[str, Any]]:
    """Formulas with the factors they use, read from the factor set."""
    rows = []
    for f in formulas:
        roles: list[str] = []
        for pattern in f.roles:
            if pattern.endswith("*"):
                roles += sorted(r for r in fs.roles if r.startswith(pattern[:-1]))
            elif pattern in fs.roles:
                roles.append(pattern)
        rows.append(
            {
                "category": category_label(f.category),
                "given": str(f.given),
                "formula": str(f.formula),
                "factors": [(role, fs.for_role(role)) for role in roles],
            }
        )
    return rows


@lru_cache(maxsize=1)
def _grid_regions() -> dict[str, dict[str, str]]:
    data = json.loads((DATA_DIR / "provinces.json").read_text(encoding="utf-8"))
    return data.get("grid_regions", {})


def grid_region_name(key: str) -> str:
    names = _grid_regions().get(key)
    if not names:
        return key
    return names["name_en"] if current_lang() == "en" else names["name_zh"]
