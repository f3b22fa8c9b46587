"""Residents and organisations register for planting days; the capacity is never exceeded.

Every change to who holds a place locks the day's row first (``days.lock``: ``SELECT … FOR
UPDATE`` on PostgreSQL; SQLite serialises writers with ``BEGIN IMMEDIATE``) and re-reads
``places_taken``, so however many people register at once exactly ``capacity`` places are
given; the database's CHECK (``places_taken <= capacity``) backs it up. Who does not fit is
waiting-listed and moves up, in the order they registered, when places free up.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.errors import Conflict, DomainError, Forbidden
from webapp.models import (
    PlantingCheckIn,
    PlantingDay,
    PlantingDayStatus,
    PlantingParticipant,
    PlantingRegistration,
    Privacy,
    RegistrationStatus,
    User,
)
from webapp.models.base import utcnow
from webapp.models.planting import MAX_GROUP_NAME, MAX_PARTICIPANT_NAME
from webapp.services import audit, text_policy
from webapp.services.messages import PlantingRegistered
from webapp.services.planting.days import CODE_ALPHABET, MAX_CAPACITY, lock
from webapp.unit_of_work import after_commit

MAX_FAMILY = 10
MAX_GROUP = 200
PASS_ID_LENGTH = 10


@dataclass(frozen=True)
class Person:
    name: str
    is_child: bool = False


def new_pass_id() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(PASS_ID_LENGTH))


def _people(people: Sequence[Person], *, group: bool) -> list[Person]:
    limit = MAX_GROUP if group else MAX_FAMILY
    if not people:
        raise DomainError(_l("Please name at least one person."))
    if len(people) > limit:
        if group:
            raise DomainError(_l("A group can have at most 200 people."))
        raise DomainError(_l("A family registration can have at most 10 people."))
    cleaned = []
    for n, person in enumerate(people, start=1):
        try:
            name = text_policy.clean(person.name, limit=MAX_PARTICIPANT_NAME)
        except text_policy.TextRefused as exc:
            raise DomainError(_l("Person %(n)s: %(problem)s", n=n, problem=exc.message)) from exc
        if not name:
            raise DomainError(_l("Person %(n)s has no name.", n=n))
        cleaned.append(Person(name=name, is_child=bool(person.is_child)))
    if cleaned[0].is_child:
        raise DomainError(
            _l("The first person must be the adult registering: a child comes with a guardian.")
        )
    return cleaned


def register(
    session: Session,
    day: PlantingDay,
    user: User,
    people: Sequence[Person],
    *,
    group_name: str | None = None,
    name_privacy: Privacy = Privacy.ANONYMOUS,
    locale: str = "zh",
    now: datetime | None = None,
) -> PlantingRegistration:
    """Register ``people`` (the first is the registering adult, guardian of any child).

    Registered when all of them fit in the places left, else waiting-listed (the answer's
    ``status`` says which; :func:`outcome` words it)."""
    now = now or utcnow()
    group = None
    if group_name is not None:
        try:
            group = text_policy.clean(group_name, limit=MAX_GROUP_NAME)
        except text_policy.TextRefused as exc:
            raise DomainError(exc.message) from exc
        if not group:
            raise DomainError(_l("Please give the group's name."))
    people = _people(people, group=group is not None)
    if not isinstance(name_privacy, Privacy):
        raise DomainError(_l("Please choose how names may be shown."))
    lock(session, day)
    if day.status is PlantingDayStatus.CANCELLED:
        raise Conflict(_l("This planting day was cancelled."))
    if day.status is not PlantingDayStatus.SCHEDULED:
        raise Conflict(_l("This planting day is not open for registration."))
    if day.starts_at <= now:
        raise Conflict(_l("Registration for this planting day has closed."))
    if len(people) > day.capacity:
        raise DomainError(
            _l(
                "This planting day has %(n)s places in all: please register fewer people.",
                n=day.capacity,
            )
        )
    existing = session.scalar(
        select(PlantingRegistration.id).where(
            PlantingRegistration.day_id == day.id,
            PlantingRegistration.user_id == user.id,
            PlantingRegistration.status != RegistrationStatus.CANCELLED,
        )
    )
    if existing is not None:
        raise Conflict(_l("You are already registered for this planting day."))
    fits = day.places_taken + len(people) <= day.capacity
    registration = PlantingRegistration(
        pass_id=new_pass_id(),
        day_id=day.id,
        user_id=user.id,
        group_name=group,
        places=len(people),
        status=RegistrationStatus.REGISTERED if fits else RegistrationStatus.WAITLISTED,
        name_privacy=name_privacy,
        locale=locale if locale in ("zh", "en") else "zh",
        created_at=now,
    )
    session.add(registration)
    if fits:
        day.places_taken += len(people)
    session.flush()
    guardian: PlantingParticipant | None = None
    for position, person in enumerate(people):
        participant = PlantingParticipant(
            registration_id=registration.id,
            position=position,
            name=person.name,
            is_child=person.is_child,
            guardian_id=guardian.id if (person.is_child and guardian) else None,
        )
        session.add(participant)
        if position == 0:
            session.flush()
            guardian = participant
    session.flush()
    audit.record(
        session,
        "planting.register",
        actor=user,
        subject=registration,
        day=day.code,
        places=len(people),
        status=registration.status.value,
    )
    after_commit(session, PlantingRegistered(registration.id))
    return registration


def waiting_position(session: Session, registration: PlantingRegistration) -> int | None:
    if registration.status is not RegistrationStatus.WAITLISTED:
        return None
    ahead = session.scalar(
        select(func.count(PlantingRegistration.id)).where(
            PlantingRegistration.day_id == registration.day_id,
            PlantingRegistration.status == RegistrationStatus.WAITLISTED,
            PlantingRegistration.id < registration.id,
        )
    )
    return int(ahead or 0) + 1


def outcome(session: Session, registration: PlantingRegistration) -> str:
    """The sentence telling the person what became of their registration."""
    if registration.status is RegistrationStatus.REGISTERED:
        return str(
            _l(
                "You are registered (%(n)s places). Your pass is ready.",
                n=registration.places,
            )
        )
    if registration.status is RegistrationStatus.WAITLISTED:
        return str(
            _l(
                "This planting day is full: you are number %(pos)s on the waiting list. "
                "You will get an e-mail with your pass if places free up.",
                pos=waiting_position(session, registration),
            )
        )
    return str(_l("This registration was cancelled."))


def promote_waiting(session: Session, day: PlantingDay, now: datetime | None = None) -> list[int]:
    """Move waiting-listed registrations up, oldest first, while they fit (the day's row
    must be locked by the caller). Returns the ids promoted."""
    now = now or utcnow()
    promoted = []
    waiting = session.scalars(
        select(PlantingRegistration)
        .where(
            PlantingRegistration.day_id == day.id,
            PlantingRegistration.status == RegistrationStatus.WAITLISTED,
        )
        .order_by(PlantingRegistration.id)
    )
    for registration in waiting:
        if day.places_taken + registration.places > day.capacity:
            continue
        registration.status = RegistrationStatus.REGISTERED
        registration.promoted_at = now
        day.places_taken += registration.places
        promoted.append(registration.id)
        after_commit(session, PlantingRegistered(registration.id, promoted=True))
    session.flush()
    return promoted


def cancel(
    session: Session,
    registration: PlantingRegistration,
    user: User,
    *,
    now: datetime | None = None,
) -> list[int]:
    """The holder cancels; their places go to the waiting list. Returns the ids promoted."""
    now = now or utcnow()
    if registration.user_id != user.id:
        raise Forbidden(_l("This is not your registration."))
    day = lock(session, registration.day)
    session.refresh(registration)
    if registration.status is RegistrationStatus.CANCELLED:
        raise Conflict(_l("This registration was already cancelled."))
    if day.starts_at <= now:
        raise Conflict(_l("A registration cannot be cancelled once the planting day has begun."))
    checked_in = session.scalar(
        select(PlantingCheckIn.id).where(PlantingCheckIn.registration_id == registration.id)
    )
    if checked_in is not None:
        raise Conflict(_l("This pass has been checked in; it cannot be cancelled."))
    if registration.status is RegistrationStatus.REGISTERED:
        day.places_taken -= registration.places
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    session.flush()
    audit.record(session, "planting.cancel", actor=user, subject=registration, day=day.code)
    return promote_waiting(session, day, now)


def change_capacity(session: Session, day: PlantingDay, capacity: int, *, actor: User) -> list[int]:
    """Set a new capacity; never below the places already registered. A larger capacity
    moves the waiting list up; the registrations promoted (ids) are returned."""
    lock(session, day)
    if day.status is PlantingDayStatus.CANCELLED:
        raise Conflict(_l("This planting day was cancelled."))
    if day.status is not PlantingDayStatus.SCHEDULED:
        raise Conflict(_l("This planting day is not open for registration."))
    if not 1 <= capacity <= MAX_CAPACITY:
        raise DomainError(_l("The capacity must be between 1 and 2,000 people."))
    if capacity < day.places_taken:
        raise DomainError(
            _l(
                "The capacity cannot be below the %(n)s places already registered.",
                n=day.places_taken,
            )
        )
    old = day.capacity
    day.capacity = capacity
    session.flush()
    promoted = promote_waiting(session, day)
    audit.record(session, "planting_day.capacity", actor=actor, subject=day, old=old, new=capacity)
    return promoted
