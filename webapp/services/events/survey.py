"""The attendee travel survey: validate one anonymous answer, store it once per device,
and aggregate the answers into the event calculator's participant-travel rows.

Aggregation (docs/METHODOLOGY.md, "Attendee travel survey") is exact: the answers of one
mode (and, for flights, one haul band) with one-way distances d_i (in 0.1 km) are written
as at most two rows — r people at (q + 1)/10 km and n − r people at q/10 km, where
q = ⌊Σd_i / n⌋ and r = Σd_i mod n — which carry the same people and the same
passenger-km as the answers, and stay inside the band because q/10 and (q + 1)/10 lie
between the smallest and the largest distance of the group.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp.errors import Conflict, DomainError
from webapp.models import (
    CalculationKind,
    Event,
    SurveyResponse,
    SurveyTicket,
    TravelMode,
)
from webapp.models.base import utcnow
from webapp.services import footprint_records, quantities, text_policy
from webapp.services.events import tickets
from webapp.services.footprint.geo import find_airport, great_circle_km
from webapp.services.footprint.transport import haul_band

MAX_ORIGIN = 60
MAX_COMMENT = 200
TENTH = Decimal("0.1")
# The longest plausible one-way trip by each mode; half the Earth's circumference for flights.
MAX_KM: dict[TravelMode, Decimal] = {
    TravelMode.FLIGHT: Decimal(20_040),
    TravelMode.HIGH_SPEED_RAIL: Decimal(4_000),
    TravelMode.RAIL: Decimal(5_000),
    TravelMode.COACH: Decimal(3_000),
    TravelMode.CAR: Decimal(3_000),
    TravelMode.TAXI: Decimal(300),
    TravelMode.METRO_BUS: Decimal(100),
}


@dataclass(frozen=True)
class Answer:
    mode: TravelMode
    origin: str = ""
    one_way_km: str = ""  # as typed; empty when the origin city gives the distance
    comment: str = ""


def device_hash(secret: str, device_id: str) -> str:
    """What is stored for a device: a keyed hash of its cookie id, never the id itself."""
    return hashlib.sha256(f"{secret}\x00survey\x00{device_id}".encode()).hexdigest()


def _answer_key(device: str, ticket: SurveyTicket | None) -> str:
    """The per-event unique key of an answer: the device's hash, or — where tickets are
    required — the device and the ticket, so one phone may answer for several tickets."""
    if ticket is None:
        return device
    return hashlib.sha256(f"{device}\x00ticket\x00{ticket.id}".encode()).hexdigest()


def _clean_text(text: str, limit: int, message: object) -> str | None:
    cleaned = "".join(
        " " if unicodedata.category(ch) in text_policy.REFUSED_CATEGORIES else ch
        for ch in text or ""
    )
    cleaned = " ".join(cleaned.split())
    if len(cleaned) > limit:
        raise DomainError(message)
    return cleaned or None


def find_city(name: str) -> tuple[Decimal, Decimal] | None:
    """Coordinates of a place by its city in Chinese or English, an airport's name or its
    code (北京, 杭州市, Chengdu, HGH), from the airports data
    (:func:`webapp.services.footprint.geo.find_airport`); None if unknown."""
    found = find_airport(name)
    return (found.lat, found.lon) if found is not None else None


def _distance(answer: Answer, event: Event, origin: str | None) -> Decimal:
    mode = answer.mode
    raw = (answer.one_way_km or "").strip()
    if raw:
        # The one quantity reader, bounded before any arithmetic (1e28 once overflowed the
        # quantize below).
        try:
            km = quantities.to_decimal(raw, unit="km")
        except quantities.InvalidQuantity:
            if raw.strip().lstrip("+-").lower() in ("nan", "snan", "inf", "infinity"):
                raise DomainError(_l("The distance must be more than 0 km.")) from None
            raise DomainError(_l("Please give the distance as a number of kilometres.")) from None
        if km <= 0:
            raise DomainError(_l("The distance must be more than 0 km."))
        if km > MAX_KM[mode]:
            raise DomainError(
                _l(
                    "%(km)s km is not a plausible one-way trip by this mode (at most %(max)s km).",
                    km=raw[:20],
                    max=f"{MAX_KM[mode]:,}",
                )
            )
    else:
        if origin is None:
            raise DomainError(_l("Please give your city or the distance in kilometres."))
        start, venue = find_city(origin), find_city(event.city)
        if start is None:
            raise DomainError(
                _l("We do not know that city; please give the distance in kilometres.")
            )
        if venue is None:
            raise DomainError(_l("Please give the distance in kilometres."))
        km = great_circle_km(*start, *venue)
        if km <= 0:
            raise DomainError(
                _l("You came from the event's own city; please give the distance in kilometres.")
            )
    km = km.quantize(TENTH)
    if km <= 0 or km > MAX_KM[mode]:
        raise DomainError(
            _l(
                "%(km)s km is not a plausible one-way trip by this mode (at most %(max)s km).",
                km=f"{km:,}",
                max=f"{MAX_KM[mode]:,}",
            )
        )
    return km


def submit(
    session: Session,
    event: Event,
    answer: Answer,
    *,
    device: str,
    ticket_code: str | None = None,
    now: datetime | None = None,
) -> SurveyResponse:
    """Store one answer for ``device`` (a :func:`device_hash`) — or, where the event
    requires ticket codes, for ``ticket_code`` — and refuse a second one."""
    now = now or utcnow()
    if not event.survey_open:
        raise Conflict(_l("This survey is closed."))
    if not isinstance(answer.mode, TravelMode):
        raise DomainError(_l("Please choose how you travelled."))
    origin = _clean_text(answer.origin, MAX_ORIGIN, _l("The city is at most 60 characters."))
    comment = _clean_text(answer.comment, MAX_COMMENT, _l("The comment is at most 200 characters."))
    km = _distance(answer, event, origin)
    ticket = None
    if event.survey_tickets_required:
        ticket = tickets.claim(session, event, ticket_code, now=now)
        answered = _l("This ticket code has already been used to answer. Thank you!")
    else:
        answered = _l("This device has already answered this survey. Thank you!")
    key = _answer_key(device, ticket)
    if session.scalar(
        select(SurveyResponse.id).where(
            SurveyResponse.event_id == event.id, SurveyResponse.device_hash == key
        )
    ):
        raise Conflict(answered)
    response = SurveyResponse(
        event_id=event.id,
        device_hash=key,
        ticket_id=ticket.id if ticket is not None else None,
        origin=origin,
        mode=answer.mode,
        one_way_km=km,
        comment=comment,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(response)
            session.flush()
    except IntegrityError:
        raise Conflict(answered) from None  # the same device, a moment earlier
    return response


def answer_of(
    session: Session, event: Event, device: str, ticket_code: str | None = None
) -> SurveyResponse | None:
    """This device's answer to the event (for ``ticket_code`` where tickets are required)."""
    ticket = None
    if event.survey_tickets_required:
        ticket = tickets.find(session, event, ticket_code)
        if ticket is None:
            return None
    return session.scalar(
        select(SurveyResponse).where(
            SurveyResponse.event_id == event.id,
            SurveyResponse.device_hash == _answer_key(device, ticket),
        )
    )


def responses(session: Session, event: Event) -> list[SurveyResponse]:
    return list(
        session.scalars(
            select(SurveyResponse)
            .where(SurveyResponse.event_id == event.id)
            .order_by(SurveyResponse.id)
        )
    )


def count(session: Session, event: Event) -> int:
    return (
        session.scalar(
            select(func.count(SurveyResponse.id)).where(SurveyResponse.event_id == event.id)
        )
        or 0
    )


def travel_rows(answers: Iterable[tuple[TravelMode, Decimal]]) -> list[dict[str, Any]]:
    """The calculator's travel rows for ``(mode, one_way_km)`` answers, exactly (see above)."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for mode, km in answers:
        tenths = int(km.quantize(TENTH) * 10)
        band = haul_band(km) if mode is TravelMode.FLIGHT else ""
        groups[(mode.value, band)].append(tenths)
    rows = []
    for (mode, _band), tenths in sorted(groups.items()):
        n, total = len(tenths), sum(tenths)
        q, r = divmod(total, n)
        for people, value in ((n - r, q), (r, q + 1)):
            if people:
                km = Decimal(value) / 10
                rows.append({"mode": mode, "people": people, "one_way_km": format(km, "f")})
    return rows


def personal_kg(event: Event, response: SurveyResponse) -> Decimal:
    """One attendee's own travel footprint (both ways if the event's estimate says so)."""
    round_trip = True
    if event.estimate_calculation is not None:
        round_trip = bool(event.estimate_calculation.inputs.get("round_trip", True))
    data = {
        "province": event.province,
        "participants": 1,
        "round_trip": round_trip,
        "travel": travel_rows([(response.mode, response.one_way_km)]),
    }
    _inputs, result = footprint_records.calculate(CalculationKind.EVENT, data)
    return result.total_kg
