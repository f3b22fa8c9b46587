"""Survey ticket codes (参会码): optional, for events that hand attendees a code.

Where an event requires them, a survey answer needs one unused code of that event, and
each code admits exactly one answer (the code's row is locked while it is checked, and
``survey_responses.ticket_id`` is unique, so two phones racing with one code store one
answer). One phone may then answer for several tickets — a family's, say.

Codes are ten characters from an alphabet without 0/O and 1/I (about 50 bits): guessing
one is hopeless within the survey's per-client throttle.
"""

from __future__ import annotations

import io
import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.errors import Conflict, DomainError
from webapp.models import Event, SurveyTicket, User
from webapp.models.base import utcnow
from webapp.services import audit, csv_export

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 10
MAX_PER_BATCH = 2000
MAX_PER_EVENT = 20000


def normalise(raw: str | None) -> str:
    """A code as typed (any case, with spaces or dashes) in its stored form."""
    return "".join(ch for ch in (raw or "").upper() if ch not in " -\t")


def display(code: str) -> str:
    """Printed in two groups of five, like certificate ids: ``ABCDE-FGHJK``."""
    return f"{code[:5]}-{code[5:]}"


def count(session: Session, event: Event) -> tuple[int, int]:
    """(codes issued, codes used) for the event."""
    total, used = session.execute(
        select(func.count(SurveyTicket.id), func.count(SurveyTicket.answered_at)).where(
            SurveyTicket.event_id == event.id
        )
    ).one()
    return int(total or 0), int(used or 0)


def generate(
    session: Session, event: Event, how_many: int, *, actor: User, now: datetime | None = None
) -> list[SurveyTicket]:
    """Issue ``how_many`` new codes for the event (each unique within it)."""
    if not isinstance(how_many, int) or not 1 <= how_many <= MAX_PER_BATCH:
        raise DomainError(
            _l("Please ask for between 1 and %(max)s ticket codes at a time.", max=MAX_PER_BATCH)
        )
    total, _used = count(session, event)
    if total + how_many > MAX_PER_EVENT:
        raise DomainError(
            _l("An event can have at most %(max)s ticket codes.", max=f"{MAX_PER_EVENT:,}")
        )
    existing = set(
        session.scalars(select(SurveyTicket.code).where(SurveyTicket.event_id == event.id))
    )
    now = now or utcnow()
    made: list[SurveyTicket] = []
    while len(made) < how_many:
        code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        if code in existing:
            continue
        existing.add(code)
        made.append(SurveyTicket(event_id=event.id, code=code, created_at=now))
    session.add_all(made)
    session.flush()
    audit.record(session, "event.tickets_issued", actor=actor, subject=event, count=how_many)
    return made


def set_required(session: Session, event: Event, *, actor: User, required: bool) -> None:
    """Require (or stop requiring) a ticket code for each survey answer."""
    if required and count(session, event)[0] == 0:
        raise DomainError(_l("Issue ticket codes first, then require them."))
    event.survey_tickets_required = required
    audit.record(
        session,
        "event.tickets_required" if required else "event.tickets_optional",
        actor=actor,
        subject=event,
    )


def claim(session: Session, event: Event, raw: str | None, *, now: datetime) -> SurveyTicket:
    """The event's unused ticket for ``raw``, locked and marked used (the caller stores the
    answer in the same transaction); a clear refusal otherwise."""
    code = normalise(raw)
    if not code:
        raise DomainError(_l("Please enter the ticket code printed on your ticket or badge."))
    ticket = None
    if len(code) == LENGTH and all(ch in ALPHABET for ch in code):
        ticket = session.scalar(
            select(SurveyTicket)
            .where(SurveyTicket.event_id == event.id, SurveyTicket.code == code)
            .with_for_update()
        )
    if ticket is None:
        raise DomainError(_l("That ticket code is not one of this event's codes."))
    if ticket.answered_at is not None:
        raise Conflict(_l("This ticket code has already been used to answer. Thank you!"))
    ticket.answered_at = now
    return ticket


def find(session: Session, event: Event, raw: str | None) -> SurveyTicket | None:
    code = normalise(raw)
    if not code:
        return None
    return session.scalar(
        select(SurveyTicket).where(SurveyTicket.event_id == event.id, SurveyTicket.code == code)
    )


def short_link(base_url: str, event: Event, ticket: SurveyTicket, *, for_qr: bool = False) -> str:
    """The ticket's own survey link; all upper case for a QR code (compact alphanumeric
    mode: scheme and host are case-insensitive, and ``/E/`` takes either case)."""
    link = f"{base_url.rstrip('/')}/E/{event.code}/{ticket.code}"
    return link.upper() if for_qr else link


def listing(session: Session, event: Event) -> list[SurveyTicket]:
    return list(
        session.scalars(
            select(SurveyTicket).where(SurveyTicket.event_id == event.id).order_by(SurveyTicket.id)
        )
    )


def csv_text(session: Session, event: Event, base_url: str) -> str:
    """Every code with its own link and whether it has answered, for mail merges."""
    out = io.StringIO()
    writer = csv_export.writer(out)
    writer.writerow(["ticket_code", "survey_link", "answered_at_utc"])
    for ticket in listing(session, event):
        writer.writerow(
            [
                display(ticket.code),
                short_link(base_url, event, ticket),
                ticket.answered_at.isoformat(timespec="seconds") if ticket.answered_at else "",
            ]
        )
    return out.getvalue()
