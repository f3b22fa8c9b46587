"""Events: create, find, and attach the footprint (estimate before, actual at the true-up).

The footprint to cover is the calculation's exact total rounded *up* to whole kg (one
serial = 1 kg), so an offset never falls short of the figure shown.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_CEILING, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.errors import Conflict, DomainError, NotFound
from webapp.models import (
    CalculationKind,
    Event,
    EventKind,
    FootprintCalculation,
    Organisation,
    User,
)
from webapp.models.base import utcnow
from webapp.services import audit
from webapp.services.certificates.ids import ALPHABET
from webapp.services.footprint.geo import normalise_province_code
from webapp.services.footprint_records import stored_result

CODE_LENGTH = 8
MAX_NAME = 120
MAX_VENUE = 120
MAX_CITY = 60
MAX_ATTENDEES = 1_000_000
MAX_DAYS = 366


@dataclass(frozen=True)
class EventDraft:
    name: str
    kind: EventKind
    starts_on: date
    ends_on: date
    venue: str
    city: str
    province: str
    expected_attendees: int


def whole_kg(total_kg: Decimal) -> int:
    """A calculation's exact total rounded up to whole kg."""
    return int(total_kg.to_integral_value(rounding=ROUND_CEILING))


def _one_line(text: str) -> str:
    return " ".join((text or "").split())


def check_draft(draft: EventDraft) -> EventDraft:
    name, venue, city = _one_line(draft.name), _one_line(draft.venue), _one_line(draft.city)
    if not name or len(name) > MAX_NAME:
        raise DomainError(_l("Please give the event's name (at most 120 characters)."))
    if not venue or len(venue) > MAX_VENUE:
        raise DomainError(_l("Please give the venue (at most 120 characters)."))
    if not city or len(city) > MAX_CITY:
        raise DomainError(_l("Please give the city (at most 60 characters)."))
    province = normalise_province_code(draft.province or "")
    if province is None:
        raise DomainError(_l("Please choose the province."))
    if draft.ends_on < draft.starts_on:
        raise DomainError(_l("The event cannot end before it starts."))
    if (draft.ends_on - draft.starts_on).days >= MAX_DAYS:
        raise DomainError(_l("An event lasts at most a year."))
    if not 1 <= draft.expected_attendees <= MAX_ATTENDEES:
        raise DomainError(_l("Expected attendees must be between 1 and 1,000,000."))
    return EventDraft(
        name, EventKind(draft.kind), draft.starts_on, draft.ends_on, venue, city, province,
        draft.expected_attendees,
    )  # fmt: skip


def _new_code(session: Session) -> str:
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        if session.scalar(select(Event.id).where(Event.code == code)) is None:
            return code


def create(
    session: Session,
    *,
    organisation: Organisation,
    actor: User,
    draft: EventDraft,
    is_demo: bool = False,
) -> Event:
    """A new event of ``organisation`` (the caller checked that ``actor`` is a member)."""
    d = check_draft(draft)
    event = Event(
        code=_new_code(session),
        organisation_id=organisation.id,
        name=d.name,
        kind=d.kind,
        starts_on=d.starts_on,
        ends_on=d.ends_on,
        venue=d.venue,
        city=d.city,
        province=d.province,
        expected_attendees=d.expected_attendees,
        is_demo=is_demo,
        created_by_id=actor.id,
    )
    session.add(event)
    session.flush()
    audit.record(session, "event.created", actor=actor, subject=event, code=event.code)
    return event


def by_code(session: Session, code: str) -> Event:
    event = None
    if isinstance(code, str) and 0 < len(code) <= 12:
        event = session.scalar(select(Event).where(Event.code == code.upper()))
    if event is None:
        raise NotFound(_l("We could not find that event."))
    return event


def for_organisation(session: Session, org: Organisation) -> list[Event]:
    return list(
        session.scalars(
            select(Event)
            .where(Event.organisation_id == org.id)
            .order_by(Event.starts_on.desc(), Event.id.desc())
        )
    )


def public_list(session: Session, limit: int = 50) -> list[Event]:
    return list(
        session.scalars(
            select(Event).order_by(Event.starts_on.desc(), Event.id.desc()).limit(limit)
        )
    )


def check_own_calculation(calculation: FootprintCalculation, actor: User) -> None:
    if calculation.kind is not CalculationKind.EVENT:
        raise DomainError(_l("Please choose an event calculation, not a household one."))
    if calculation.user_id != actor.id:
        raise DomainError(_l("Please choose one of your own saved calculations."))


def attach_estimate(
    session: Session, event: Event, calculation: FootprintCalculation, *, actor: User
) -> None:
    """Use ``calculation`` (the event calculator's result) as the pre-event estimate."""
    check_own_calculation(calculation, actor)
    if event.trued_up_at is not None:
        raise Conflict(_l("The actual footprint is recorded already; the estimate is final."))
    event.estimate_calculation_id = calculation.id
    event.estimate_calculation = calculation
    event.estimate_kg = whole_kg(stored_result(calculation).total_kg)
    audit.record(
        session, "event.estimate", actor=actor, subject=event, calculation=calculation.id,
        kg=event.estimate_kg,
    )  # fmt: skip


def record_actual(
    session: Session,
    event: Event,
    calculation: FootprintCalculation,
    *,
    actor: User,
    today: date,
    now: datetime | None = None,
) -> None:
    """The true-up: the actual footprint replaces the estimate (after the event ended)."""
    check_own_calculation(calculation, actor)
    if event.estimate_kg is None:
        raise Conflict(_l("Record the estimate first."))
    if today < event.ends_on:
        raise Conflict(_l("The actual footprint can be recorded once the event has ended."))
    event.actual_calculation_id = calculation.id
    event.actual_calculation = calculation
    event.actual_kg = whole_kg(stored_result(calculation).total_kg)
    event.trued_up_at = now or utcnow()
    audit.record(
        session, "event.true_up", actor=actor, subject=event, calculation=calculation.id,
        kg=event.actual_kg,
    )  # fmt: skip


def set_survey_open(session: Session, event: Event, *, actor: User, is_open: bool) -> None:
    """Close (or reopen) the attendee survey; answers already given stay."""
    event.survey_open = is_open
    audit.record(session, "event.survey_open" if is_open else "event.survey_closed",
                 actor=actor, subject=event)  # fmt: skip
