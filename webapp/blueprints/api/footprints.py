"""Footprint API: household and event calculations (never stored) and the factor sets.

``POST /api/v1/footprints/household`` and ``POST /api/v1/footprints/event`` answer the
engine's result (``FootprintResult.to_dict()``) or HTTP 400 with per-field messages; bad
input never causes a 500 and nothing is written to the database.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from flask import jsonify, request, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import RequestEntityTooLarge

from webapp import input_guard
from webapp.blueprints.api import bp
from webapp.blueprints.api.openapi import (
    DECIMAL_OUT,
    PATHS,
    SCHEMAS,
    error_response,
    json_body,
    ref,
)
from webapp.errors import NotFound
from webapp.models import CalculationKind
from webapp.services.footprint import (
    EVENT_LIMITS,
    HOUSEHOLD_LIMITS,
    FootprintInputError,
    available_versions,
    latest_version,
    load_factor_set,
)
from webapp.services.footprint.arithmetic import plain
from webapp.services.footprint.geo import airports, provinces
from webapp.services.footprint.inputs import CABINS, CAR_FUELS, DIETS, TRAVEL_MODES
from webapp.services.footprint.parsing import ROOT
from webapp.services.footprint.validation import DIET_ALIASES
from webapp.services.footprint_records import calculate

MAX_BODY = 64 * 1024  # bytes; a household with 200 flights is about 20 KiB


class _BadBody(Exception):
    def __init__(self, message: Any) -> None:
        self.message = message


def _locale() -> str | None:
    """The language asked for in Accept-Language, if it is one we speak."""
    if "Accept-Language" not in request.headers:
        return None
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
    if best is None:
        return None
    return "en" if best == "en" else "zh_CN"


def _read_json() -> object:
    """The request body as JSON; _BadBody for a wrong content type, a body over
    MAX_BODY bytes or text that is not JSON."""
    if not request.is_json:
        raise _BadBody(_l("Send the body as JSON, with Content-Type: application/json."))
    request.max_content_length = MAX_BODY
    try:
        body = request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise _BadBody(_l("The body is larger than %(max)s bytes.", max=MAX_BODY)) from None
    try:
        return input_guard.loads_body(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise _BadBody(_l("The body is not valid JSON.")) from None


def _bad_request(fields: dict[str, Any], message: Any):
    locale = _locale()
    with force_locale(locale) if locale else nullcontext():
        payload = {
            "error": {
                "status": 400,
                "title": str(_l("Bad request")),
                "message": str(message),
                "fields": {path: str(text) for path, text in fields.items()},
            }
        }
    return jsonify(payload), 400


def _footprint(kind: CalculationKind):
    try:
        data = _read_json()
    except _BadBody as exc:
        return _bad_request({ROOT: exc.message}, exc.message)
    try:
        _inputs, result = calculate(kind, data)
    except FootprintInputError as exc:
        return _bad_request(exc.errors, _l("Some fields are not valid; see fields."))
    return jsonify(result.to_dict())


@bp.post("/footprints/household")
def footprint_household():
    return _footprint(CalculationKind.HOUSEHOLD)


@bp.post("/footprints/event")
def footprint_event():
    return _footprint(CalculationKind.EVENT)


def _factor_set_summary(version: str) -> dict[str, Any]:
    fs = load_factor_set(version)
    return {
        "version": fs.version,
        "published": fs.published,
        "description": fs.description,
        "factor_count": len(fs.factors),
        "url": url_for("api.factor_set", version=fs.version),
    }


@bp.get("/factor-sets")
def factor_sets():
    response = jsonify(
        latest=latest_version(),
        factor_sets=[_factor_set_summary(v) for v in reversed(available_versions())],
    )
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _factor_dict(f: Any) -> dict[str, Any]:
    return {
        "id": f.id,
        "quantity": f.quantity,
        "value": None if f.value is None else plain(f.value),
        "unit": f.unit,
        # What a reader can look up.  How the figure was obtained (provenance, compiled
        # notes) is for auditors and stays on the methodology page.
        "citation": f.citation,
        "source": f.citation,
        "year": f.year,
        "url": f.link,
        "verification": f.verification,
        "range": None if f.range is None else [plain(f.range[0]), plain(f.range[1])],
        "params": None if f.params is None else {k: plain(v) for k, v in f.params.items()},
    }


@bp.get("/factor-sets/<version>")
def factor_set(version: str):
    if version not in available_versions():
        raise NotFound(_l("Unknown factor set."))
    fs = load_factor_set(version)
    response = jsonify(
        version=fs.version,
        published=fs.published,
        description=fs.description,
        roles=dict(fs.roles),
        factors=[_factor_dict(f) for f in fs.factors.values()],
    )
    # A published factor set never changes (a correction is a new version).
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


# ---- OpenAPI fragments -------------------------------------------------------------------


def _decimal_text(maximum: int, *, minimum: int, integer: bool) -> dict[str, Any]:
    """Decimal strings as HTML forms send them, limited to values the API accepts: a value
    cannot be bounded in JSON Schema, so the pattern allows one digit fewer than the
    maximum has (every string it allows is in range; larger ones are sent as numbers)."""
    digits = len(str(maximum)) - 1
    fraction = "" if integer else r"(\.[0-9]{0,6})?"
    if maximum < 10:  # a share (0 to 1) or a small count: one digit, the maximum exactly
        low = max(minimum, 0)
        if integer:
            whole = f"0*[{low}-{maximum}]"
        else:
            below = (
                f"(?=\\.?[0-9])0*[{low}-{maximum - 1}]?" if low == 0 else f"0*[{low}-{maximum - 1}]"
            )
            whole = f"(?:{below}{fraction}|0*{maximum}(\\.0{{0,6}})?)"
            fraction = ""
    elif minimum >= 1:
        whole = rf"0*[1-9][0-9]{{0,{digits - 1}}}"
    else:
        whole = rf"(?=\.?[0-9])0*[0-9]{{0,{digits}}}"
    return {"type": "string", "pattern": rf"^\+?{whole}{fraction}$", "maxLength": 40}


def _quantity(maximum: Any, *, minimum: int = 0, integer: bool = False, about: str = "") -> dict:
    number: dict[str, Any] = {
        "type": "integer" if integer else "number",
        "minimum": minimum,
        "maximum": int(maximum),
    }
    if not integer:
        number["multipleOf"] = 0.000001  # at most 6 decimal places
    schema: dict[str, Any] = {
        "anyOf": [number, _decimal_text(int(maximum), minimum=minimum, integer=integer)],
        "description": (
            f"{about + '; ' if about else ''}{minimum} to {int(maximum)}"
            f"{', whole number' if integer else ', at most 6 decimal places'}; "
            "a JSON number or a decimal string"
        ),
    }
    return schema


def _choice(options: tuple[str, ...] | list[str], about: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(options), "description": about}


def _array(item: dict[str, Any], max_items: Any) -> dict[str, Any]:
    return {"type": "array", "items": item, "maxItems": int(max_items)}


H, E = HOUSEHOLD_LIMITS, EVENT_LIMITS


def _any_case(code: str) -> str:
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in code)


_PROVINCE = {
    "type": "string",
    "pattern": "^(?:[Cc][Nn]-)?(?:"
    + "|".join(_any_case(code.removeprefix("CN-")) for code in provinces())
    + ")$",
    "description": (
        "ISO 3166-2:CN code of a mainland province, with or without the CN- prefix, any case "
        "(CN-GD, gd)"
    ),
    "examples": ["CN-GD"],
}
# true/false, or the words as HTML forms send them (any case, spaces around).
_BOOLEAN = {
    "anyOf": [
        {"type": "boolean"},
        {"type": "string", "pattern": "^[ \\t]*([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])[ \\t]*$"},
    ]
}
_AIRPORT = {
    "type": "string",
    # A shipped airport's IATA code, any case (the API upper-cases it).
    "pattern": "^(?:" + "|".join(_any_case(code) for code in airports()) + ")$",
    "description": "IATA code of a shipped airport (case-insensitive)",
}
_DEC = {"type": "string", "pattern": DECIMAL_OUT}

SCHEMAS.update(
    {
        "Car": {
            "type": "object",
            "additionalProperties": False,
            "required": ["fuel", "km"],
            "properties": {
                "fuel": _choice(CAR_FUELS, "electric cars count their charging electricity"),
                "km": _quantity(H["cars[].km"], about="vehicle-km per year"),
            },
        },
        "Vehicle": {
            "type": "object",
            "additionalProperties": False,
            "required": ["fuel", "km"],
            "properties": {
                "fuel": _choice(CAR_FUELS, "fuel of the official vehicle"),
                "km": _quantity(E["official_vehicles[].km"], about="vehicle-km during the event"),
            },
        },
        "Flight": {
            "type": "object",
            "additionalProperties": False,
            "description": "Either from and to (airports), or distance_km — not both.",
            "properties": {
                "from": _AIRPORT,
                "to": _AIRPORT,
                "distance_km": _quantity(
                    H["flights[].distance_km"], minimum=1, about="one-way great-circle km"
                ),
                "return": {**_BOOLEAN, "default": False},
                "cabin": {**_choice(CABINS, "cabin class"), "default": "average"},
                "passengers": {
                    **_quantity(H["flights[].passengers"], minimum=1, integer=True),
                    "default": 1,
                },
            },
            "oneOf": [
                {"required": ["from", "to"], "not": {"required": ["distance_km"]}},
                {
                    "required": ["distance_km"],
                    "not": {"anyOf": [{"required": ["from"]}, {"required": ["to"]}]},
                },
            ],
        },
        "Transit": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                name: _quantity(H["transit.*"], about="passenger-km per year")
                for name in ("bus_km", "metro_km", "rail_km", "high_speed_rail_km")
            },
        },
        "HouseholdInput": {
            "type": "object",
            "additionalProperties": False,
            "description": "One household, one year. Unknown fields are rejected.",
            "required": ["province", "household_size"],
            "allOf": [
                {"not": {"required": ["electricity_kwh", "electricity_kwh_month"]}},
                {"not": {"required": ["heat_gj", "heated_area_m2"]}},
            ],
            "properties": {
                "province": _PROVINCE,
                "household_size": _quantity(H["household_size"], minimum=1, integer=True),
                "electricity_kwh": _quantity(H["electricity_kwh"], about="kWh per year"),
                "electricity_kwh_month": _quantity(
                    H["electricity_kwh_month"], about="kWh per month; not with electricity_kwh"
                ),
                "natural_gas_m3": _quantity(H["natural_gas_m3"], about="m³ per year"),
                "lpg_kg": _quantity(H["lpg_kg"], about="kg per year"),
                "heat_gj": _quantity(H["heat_gj"], about="district heat, GJ per year"),
                "heated_area_m2": _quantity(
                    H["heated_area_m2"], about="heated floor area, m²; not with heat_gj"
                ),
                "cars": _array(ref("Car"), H["cars"]),
                "taxi_km": _quantity(H["taxi_km"], about="km per year"),
                "transit": ref("Transit"),
                "flights": _array(ref("Flight"), H["flights"]),
                "diet": _choice(
                    list(DIETS) + sorted(DIET_ALIASES),
                    "applies to every member; average_meat is medium_meat",
                ),
                "waste_kg": _quantity(H["waste_kg"], about="residual waste, kg per year"),
            },
        },
        "Travel": {
            "type": "object",
            "additionalProperties": False,
            "required": ["mode", "people", "one_way_km"],
            "properties": {
                "mode": _choice(TRAVEL_MODES, "way of travelling"),
                "people": _quantity(E["travel[].people"], integer=True),
                "one_way_km": _quantity(E["travel[].one_way_km"], about="one-way km per person"),
            },
        },
        "EventInput": {
            "type": "object",
            "additionalProperties": False,
            "description": "A whole meeting or event. Unknown fields are rejected.",
            "required": ["province", "participants"],
            "properties": {
                "province": _PROVINCE,
                "participants": _quantity(E["participants"], minimum=1, integer=True),
                "days": _quantity(E["days"], minimum=1, integer=True),
                "venue_fuel": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "natural_gas_m3": _quantity(E["venue_fuel.natural_gas_m3"]),
                        "diesel_l": _quantity(E["venue_fuel.diesel_l"]),
                    },
                },
                "venue": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "electricity_kwh": _quantity(E["venue.electricity_kwh"]),
                        "heat_gj": _quantity(E["venue.heat_gj"]),
                    },
                },
                "official_vehicles": _array(ref("Vehicle"), E["official_vehicles"]),
                "travel": _array(ref("Travel"), E["travel"]),
                "round_trip": {**_BOOLEAN, "default": True},
                "room_nights": _quantity(E["room_nights"], integer=True),
                "meals": _quantity(E["meals"], integer=True),
                "vegetarian_share": _quantity(1, about="share of meals that are vegetarian"),
                "materials": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "paper_kg": _quantity(E["materials.*"]),
                        "printed_kg": _quantity(E["materials.*"]),
                    },
                },
                "waste_kg": _quantity(E["waste_kg"]),
            },
        },
        "Line": {
            "type": "object",
            "required": [
                "category",
                "activity",
                "quantity",
                "unit",
                "factor",
                "factor_unit",
                "factor_id",
                "source",
                "verification",
                "kg",
            ],
            "properties": {
                "category": {"type": "string"},
                "activity": {"type": "string"},
                "quantity": _DEC,
                "unit": {"type": "string"},
                "factor": {**_DEC, "description": "kg CO2(e) per unit"},
                "factor_unit": {"type": "string"},
                "factor_id": {"type": "string"},
                "source": {
                    "type": "string",
                    "description": "the factor's citation (the publication a reader can look up)",
                },
                "verification": {"type": "string", "enum": ["verified", "secondary", "UNVERIFIED"]},
                "kg": {**_DEC, "description": "exactly quantity × factor"},
                "detail": {"type": "string"},
                "basis": {"type": "array", "items": {"type": "string"}},
                "alternative": {"anyOf": [ref("Alternative"), {"type": "null"}]},
            },
        },
        "Alternative": {
            "type": "object",
            "description": "The same line under another factor (flights without radiative "
            "forcing); shown, never counted.",
            "required": ["label", "factor", "factor_id", "kg"],
            "properties": {
                "label": {"type": "string"},
                "factor": _DEC,
                "factor_id": {"type": "string"},
                "kg": _DEC,
            },
        },
        "FootprintResult": {
            "type": "object",
            "required": ["factor_set", "method", "kind", "total_kg", "per_person_kg", "lines"],
            "properties": {
                "factor_set": {"type": "string"},
                "method": {"type": "string"},
                "kind": {"type": "string", "enum": ["household", "event"]},
                "total_kg": {**_DEC, "description": "exactly the sum of the lines"},
                "per_person_kg": {
                    "anyOf": [_DEC, {"type": "null"}],
                    "description": "per household member per year, or per participant",
                },
                "people": {"type": ["integer", "null"]},
                "lines": {"type": "array", "items": ref("Line")},
                "by_category": {"type": "object", "additionalProperties": _DEC},
                "shares": {"type": "object", "additionalProperties": _DEC},
                "benchmark": {
                    "description": "household only: against China's per-capita energy CO2 "
                    "(whole economy, not a household figure)",
                    "anyOf": [
                        {
                            "type": "object",
                            "required": ["factor_id", "reference_kg", "ratio"],
                            "properties": {
                                "factor_id": {"type": "string"},
                                "reference_kg": _DEC,
                                "ratio": _DEC,
                            },
                        },
                        {"type": "null"},
                    ],
                },
            },
        },
        "Factor": {
            "type": "object",
            "required": ["id", "quantity", "value", "unit", "citation", "source", "verification"],
            "properties": {
                "id": {"type": "string"},
                "quantity": {"type": "string"},
                "value": {"anyOf": [_DEC, {"type": "null"}]},
                "unit": {"type": "string", "description": "as published"},
                "citation": {
                    "type": "string",
                    "description": "the publication a reader can look up; a derived figure "
                    "names the factors and publications it is derived from",
                },
                "source": {"type": "string", "description": "same as citation (kept for clients)"},
                "year": {"type": ["integer", "null"]},
                "url": {
                    "type": ["string", "null"],
                    "description": "a web address of the publication, when there is one",
                },
                "verification": {"type": "string", "enum": ["verified", "secondary", "UNVERIFIED"]},
                "range": {"anyOf": [{"type": "array", "items": _DEC}, {"type": "null"}]},
                "params": {
                    "anyOf": [
                        {"type": "object", "additionalProperties": _DEC},
                        {"type": "null"},
                    ]
                },
            },
        },
        "FactorSet": {
            "type": "object",
            "required": ["version", "published", "description", "roles", "factors"],
            "properties": {
                "version": {"type": "string"},
                "published": {"type": "string"},
                "description": {"type": "string"},
                "roles": {"type": "object", "additionalProperties": {"type": "string"}},
                "factors": {"type": "array", "items": ref("Factor")},
            },
        },
        "FactorSetList": {
            "type": "object",
            "required": ["latest", "factor_sets"],
            "properties": {
                "latest": {"type": "string"},
                "factor_sets": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["version", "published", "url"],
                        "properties": {
                            "version": {"type": "string"},
                            "published": {"type": "string"},
                            "description": {"type": "string"},
                            "factor_count": {"type": "integer"},
                            "url": {"type": "string"},
                        },
                    },
                },
            },
        },
    }
)

_LANGUAGE = {
    "name": "Accept-Language",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "zh or en: the language of error messages (Chinese by default)",
}
_BAD = error_response(
    "Invalid input: not JSON, not application/json, larger than "
    f"{MAX_BODY} bytes, or fields that fail validation (see error.fields). Nothing is stored."
)
HOUSEHOLD_EXAMPLE = {
    "province": "CN-GD",
    "household_size": 3,
    "electricity_kwh": 3600,
    "natural_gas_m3": 240,
    "cars": [{"fuel": "petrol", "km": 8000}],
    "transit": {"bus_km": 1000, "metro_km": 2000, "high_speed_rail_km": 3000},
    "flights": [{"from": "CAN", "to": "PEK", "return": True}],
    "diet": "average_meat",
}
EVENT_EXAMPLE = {
    "province": "CN-SD",
    "participants": 300,
    "days": 2,
    "travel": [
        {"mode": "high_speed_rail", "people": 200, "one_way_km": 500},
        {"mode": "flight", "people": 100, "one_way_km": 1200},
    ],
    "round_trip": True,
    "room_nights": 300,
    "meals": 1200,
    "vegetarian_share": 0,
    "venue": {"electricity_kwh": 8000},
}

PATHS.update(
    {
        "/api/v1/footprints/household": {
            "post": {
                "operationId": "householdFootprint",
                "summary": "Yearly footprint of one household",
                "description": "All quantities are per year. Nothing is stored.",
                "tags": ["footprints"],
                "parameters": [_LANGUAGE],
                "requestBody": {
                    "required": True,
                    **json_body(ref("HouseholdInput"), "The household", example=HOUSEHOLD_EXAMPLE),
                },
                "responses": {
                    "200": json_body(ref("FootprintResult"), "The footprint, line by line."),
                    "400": _BAD,
                },
            }
        },
        "/api/v1/footprints/event": {
            "post": {
                "operationId": "eventFootprint",
                "summary": "Footprint of a meeting or event (零碳会议 / 零碳活动)",
                "description": "Whole-event quantities. Nothing is stored.",
                "tags": ["footprints"],
                "parameters": [_LANGUAGE],
                "requestBody": {
                    "required": True,
                    **json_body(ref("EventInput"), "The event", example=EVENT_EXAMPLE),
                },
                "responses": {
                    "200": json_body(ref("FootprintResult"), "The footprint, line by line."),
                    "400": _BAD,
                },
            }
        },
        "/api/v1/factor-sets": {
            "get": {
                "operationId": "listFactorSets",
                "summary": "Published emission-factor sets",
                "tags": ["factors"],
                "responses": {"200": json_body(ref("FactorSetList"), "Newest first.")},
            }
        },
        "/api/v1/factor-sets/{version}": {
            "get": {
                "operationId": "getFactorSet",
                "summary": "One factor set, complete (immutable once published)",
                "tags": ["factors"],
                "parameters": [
                    {
                        "name": "version",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "examples": ["cn-2026.1"]},
                    }
                ],
                "responses": {
                    "200": json_body(ref("FactorSet"), "Every factor with value, unit and source."),
                    "404": error_response("No such factor set."),
                },
            }
        },
    }
)
