"""Footprint calculations: compute (pure) and keep them (saved records with ownership rules).

* :func:`calculate` validates untrusted input with the footprint engine and returns the
  normalised input and the result; it touches no database (the JSON API uses it alone).
* :func:`save` computes and stores a calculation, for a signed-in owner or anonymously.
* :func:`get_visible` is the only way a stored calculation is read for display: a
  calculation with an owner is visible to that owner only; an anonymous one to whoever
  holds its unguessable token.  Anything else is "not found" (never "forbidden", which
  would confirm that the token exists).

The stored ``inputs`` are the engine's *normalised* input (``CN-`` province codes, decimal
strings, canonical diet keys), so ``calculate(kind, inputs)`` on the stored factor-set
version reproduces the stored result exactly.
"""

from __future__ import annotations

import re
import secrets
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.errors import DomainError, NotFound
from webapp.models import CalculationKind, FootprintCalculation, User
from webapp.services.footprint import (
    EventInput,
    FootprintResult,
    HouseholdInput,
    event_footprint,
    household_footprint,
    parse_event,
    parse_household,
)
from webapp.services.footprint.arithmetic import plain

LABEL_MAX = 120
TOKEN_BYTES = 18  # 144 random bits -> 24 URL-safe characters
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,32}$")
HISTORY_LIMIT = 100

__all__ = [
    "LABEL_MAX",
    "TOKEN_RE",
    "calculate",
    "event_inputs",
    "get_visible",
    "household_inputs",
    "list_for_user",
    "save",
    "stored_result",
]


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else plain(value)


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    """Drop absent (None) fields and empty groups, keeping explicit zeros."""
    return {k: v for k, v in data.items() if v is not None and v != {} and v != []}


def household_inputs(h: HouseholdInput) -> dict[str, Any]:
    """The API-shaped, normalised form of a validated household input."""
    flights = []
    for f in h.flights:
        flight: dict[str, Any] = (
            {"from": f.origin, "to": f.destination}
            if f.origin is not None
            else {"distance_km": _dec(f.distance_km)}
        )
        flight.update({"return": f.return_trip, "cabin": f.cabin, "passengers": f.passengers})
        flights.append(flight)
    transit = _compact(
        {
            "bus_km": _dec(h.transit.bus_km),
            "metro_km": _dec(h.transit.metro_km),
            "rail_km": _dec(h.transit.rail_km),
            "high_speed_rail_km": _dec(h.transit.high_speed_rail_km),
        }
    )
    return _compact(
        {
            "province": h.province,
            "household_size": h.household_size,
            "electricity_kwh": _dec(h.electricity_kwh),
            "electricity_kwh_month": _dec(h.electricity_kwh_month),
            "natural_gas_m3": _dec(h.natural_gas_m3),
            "lpg_kg": _dec(h.lpg_kg),
            "heat_gj": _dec(h.heat_gj),
            "heated_area_m2": _dec(h.heated_area_m2),
            "cars": [{"fuel": c.fuel, "km": plain(c.km)} for c in h.cars],
            "taxi_km": _dec(h.taxi_km),
            "transit": transit,
            "flights": flights,
            "diet": h.diet,
            "waste_kg": _dec(h.waste_kg),
        }
    )


def event_inputs(e: EventInput) -> dict[str, Any]:
    """The API-shaped, normalised form of a validated event input."""
    return _compact(
        {
            "province": e.province,
            "participants": e.participants,
            "days": e.days,
            "venue_fuel": _compact(
                {"natural_gas_m3": _dec(e.venue_natural_gas_m3), "diesel_l": _dec(e.venue_diesel_l)}
            ),
            "venue": _compact(
                {"electricity_kwh": _dec(e.venue_electricity_kwh), "heat_gj": _dec(e.venue_heat_gj)}
            ),
            "official_vehicles": [{"fuel": c.fuel, "km": plain(c.km)} for c in e.official_vehicles],
            "travel": [
                {"mode": t.mode, "people": t.people, "one_way_km": plain(t.one_way_km)}
                for t in e.travel
            ],
            "round_trip": e.round_trip,
            "room_nights": e.room_nights,
            "meals": e.meals,
            "vegetarian_share": plain(e.vegetarian_share),
            "materials": _compact({"paper_kg": _dec(e.paper_kg), "printed_kg": _dec(e.printed_kg)}),
            "waste_kg": _dec(e.waste_kg),
        }
    )


def calculate(
    kind: CalculationKind | str, data: object, factor_set: str | None = None
) -> tuple[dict[str, Any], FootprintResult]:
    """Validate ``data`` and compute. Raises ``FootprintInputError`` (per-field messages).

    Returns the normalised input and the result; nothing is stored."""
    kind = CalculationKind(kind)
    if kind is CalculationKind.HOUSEHOLD:
        household = parse_household(data)
        return household_inputs(household), household_footprint(household, factor_set)
    event = parse_event(data)
    return event_inputs(event), event_footprint(event, factor_set)


def _grams(kg: Decimal) -> int:
    return int((kg * 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def save(
    session: Session,
    *,
    kind: CalculationKind | str,
    data: object,
    user: User | None = None,
    label: str | None = None,
) -> FootprintCalculation:
    """Compute and store a calculation (flushed, not committed).

    ``user`` None stores an anonymous calculation reachable only through its token.
    Raises ``FootprintInputError`` for invalid input (nothing is added) and
    ``DomainError`` for a label that is too long."""
    label = (label or "").strip() or None
    if label is not None and len(label) > LABEL_MAX:
        raise DomainError(_l("Must be at most %(max)s characters.", max=LABEL_MAX))
    kind = CalculationKind(kind)
    inputs, result = calculate(kind, data)
    calculation = FootprintCalculation(
        token=secrets.token_urlsafe(TOKEN_BYTES),
        user_id=user.id if user is not None else None,
        kind=kind,
        factor_set=result.factor_set,
        inputs=inputs,
        result=result.to_dict(),
        total_g=_grams(result.total_kg),
        label=label,
    )
    session.add(calculation)
    session.flush()
    return calculation


def list_for_user(
    session: Session, user: User, *, limit: int = HISTORY_LIMIT
) -> list[FootprintCalculation]:
    """The user's own calculations, newest first."""
    query = (
        select(FootprintCalculation)
        .where(FootprintCalculation.user_id == user.id)
        .order_by(FootprintCalculation.created_at.desc(), FootprintCalculation.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def get_visible(session: Session, token: str, viewer: User | None) -> FootprintCalculation:
    """The calculation behind ``token`` if ``viewer`` may see it, else ``NotFound``.

    Owned calculations: the owner only.  Anonymous ones: anyone holding the token."""
    missing = NotFound(_l("We could not find that calculation."))
    if not isinstance(token, str) or not TOKEN_RE.fullmatch(token):
        raise missing
    calculation = session.scalar(
        select(FootprintCalculation).where(FootprintCalculation.token == token)
    )
    if calculation is None:
        raise missing
    if calculation.user_id is not None and (viewer is None or viewer.id != calculation.user_id):
        raise missing
    return calculation


def stored_result(calculation: FootprintCalculation) -> FootprintResult:
    """The stored result, with its arithmetic re-checked (ValueError if it was altered)."""
    return FootprintResult.from_dict(calculation.result)
