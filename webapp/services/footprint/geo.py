"""Provinces and airports (``webapp/data``) and airport-to-airport distances."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from .greatcircle import EARTH_RADIUS_KM, great_circle_km

DATA_DIR = Path(__file__).resolve().parents[2] / "data"

__all__ = [
    "EARTH_RADIUS_KM",
    "Airport",
    "Province",
    "airport",
    "airports",
    "flight_distance_km",
    "great_circle_km",
    "normalise_province_code",
    "province",
    "provinces",
]


@dataclass(frozen=True)
class Province:
    code: str  # ISO 3166-2:CN, e.g. "CN-SD"
    slug: str
    name_zh: str
    name_en: str
    grid_region: str
    electricity_factor_id: str  # for the factor set named in provinces.json


@dataclass(frozen=True)
class Airport:
    iata: str
    name_en: str
    city: str
    country: str  # ISO 3166-1 alpha-2
    lat: Decimal
    lon: Decimal
    name_zh: str | None = None


@lru_cache(maxsize=1)
def provinces() -> Mapping[str, Province]:
    """Province code -> Province, in the order of the data file."""
    data = json.loads((DATA_DIR / "provinces.json").read_text(encoding="utf-8"))
    return MappingProxyType({p["code"]: Province(**p) for p in data["provinces"]})


@lru_cache(maxsize=1)
def airports() -> Mapping[str, Airport]:
    """IATA code -> Airport; coordinates are read as exact decimals."""
    text = (DATA_DIR / "airports.json").read_text(encoding="utf-8")
    data = json.loads(text, parse_float=Decimal, parse_int=Decimal)
    return MappingProxyType({a["iata"]: Airport(**a) for a in data["airports"]})


def normalise_province_code(text: str) -> str | None:
    """ "sd", "CN-sd", " cn-SD " -> "CN-SD"; None if no such province."""
    code = text.strip().upper()
    if not code.startswith("CN-"):
        code = "CN-" + code
    return code if code in provinces() else None


def province(code: str) -> Province:
    normalised = normalise_province_code(code)
    if normalised is None:
        raise KeyError(f"unknown province {code!r}")
    return provinces()[normalised]


def airport(iata: str) -> Airport:
    """Airport by IATA code (case-insensitive); KeyError if unknown."""
    return airports()[iata.strip().upper()]


def flight_distance_km(origin: str, destination: str) -> Decimal:
    """Great-circle distance in whole km between two airports given by IATA code."""
    a, b = airport(origin), airport(destination)
    return great_circle_km(a.lat, a.lon, b.lat, b.lon)
