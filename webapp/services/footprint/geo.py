"""Provinces and airports (``webapp/data``) and airport-to-airport distances."""

from __future__ import annotations

import json
import unicodedata
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
    "city_names",
    "find_airport",
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
    city_zh: str | None = None

    def name(self, lang: str) -> str:
        """The airport's name in the reader's language ("杭州萧山国际机场", "Hangzhou …")."""
        if lang == "zh":
            return self.name_zh or f"{self.city_zh or self.city}（{self.iata}）"
        return self.name_en

    def city_name(self, lang: str) -> str:
        return (self.city_zh or self.city) if lang == "zh" else self.city


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


def _key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").split()).casefold()


_CITY_SUFFIXES = ("市", " city", "机场", " airport")


def find_airport(text: str) -> Airport | None:
    """The airport a person means by ``text``: an IATA code ("hgh"), a city in Chinese or
    English ("杭州", "杭州市", "Hangzhou"), or the start of an airport's name ("萧山",
    "Beijing Daxing"); None if nothing matches. Where a city has several airports the
    international one is taken (then the first code: PEK for 北京, PVG for 上海)."""
    key = _key(text)
    if len(key) < 2:
        return None
    table = airports()
    if len(key) == 3 and key.isascii() and key.upper() in table:
        return table[key.upper()]
    for suffix in _CITY_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix) + 1:
            key = key[: -len(suffix)].strip()
            break

    def rank(a: Airport) -> tuple[int, str]:
        return (0 if "international" in a.name_en.casefold() else 1, a.iata)

    for matches in (
        [a for a in table.values() if key in (_key(a.city), _key(a.city_zh or ""))],
        [
            a
            for a in table.values()
            if _key(a.name_zh or "").startswith(key)
            or (len(key) >= 4 and _key(a.name_en).startswith(key))
        ],
    ):
        if matches:
            return min(matches, key=rank)
    return None


def city_names(lang: str) -> list[str]:
    """Every city of the airports data once, in the reader's language (Chinese cities
    first): the suggestions of a "from which city?" field."""
    seen: dict[str, bool] = {}
    for a in sorted(airports().values(), key=lambda a: (a.country != "CN", a.iata)):
        seen.setdefault(a.city_name(lang), True)
    return list(seen)


def flight_distance_km(origin: str, destination: str) -> Decimal:
    """Great-circle distance in whole km between two airports given by IATA code."""
    a, b = airport(origin), airport(destination)
    return great_circle_km(a.lat, a.lon, b.lat, b.lon)


def province_name(code: str) -> str:
    """A province's name in the reader's language (its code if unknown)."""
    from webapp.i18n import current_lang

    found = provinces().get(code)
    if found is None:
        return code
    return found.name_en if current_lang() == "en" else found.name_zh
