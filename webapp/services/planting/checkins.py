"""Check-ins at a planting day, recorded by the rangers' scanner (often offline) and
uploaded later: attendance and the trees planted on each plot, counted exactly once.

* The device gives each check-in its id (a UUID): uploading it again answers ``exists``.
* The server re-checks the pass's signature and that it belongs to this day and site; it
  never trusts the device's verdict.
* The same pass checked in twice (two devices) is stored as ``duplicate_of`` the first
  and counts nothing; the registration row is locked so two uploads at once queue.
* A sponsored plot planted at the day becomes planted (``plots/states.py``); its ranger
  update names the planters only as they allowed (children never).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import webapp.localtime as localtime
from webapp.errors import DomainError
from webapp.models import (
    PlantedTrees,
    PlantingCheckIn,
    PlantingDay,
    PlantingDayStatus,
    PlantingRegistration,
    PlotStatus,
    PlotUpdateKind,
    RegistrationStatus,
    User,
)
from webapp.models.base import utcnow
from webapp.services.planting import passes, queries
from webapp.services.plots import rangers
from webapp.services.registry.privacy import display_name
from webapp.services.scan import uploads
from webapp.services.scan.visits import canonical_uuid
from webapp.services.signing import Keyring

MAX_BATCH = 500
MAX_TREES_PER_PLOT = 10_000
MAX_AGE = timedelta(days=30)


@dataclass(frozen=True)
class TreesInput:
    plot_code: str
    trees: int


@dataclass(frozen=True)
class CheckInInput:
    client_id: str
    day_code: str
    pass_text: str
    attendees: int
    scanned_at: datetime
    trees: Sequence[TreesInput] = field(default_factory=tuple)


@dataclass(frozen=True)
class CheckInOutcome:
    client_id: str
    status: str  # "created" | "exists" | "duplicate" | "rejected"
    pass_id: str | None = None
    trees: int = 0
    other_device: bool = False
    message: str | None = None


def _existing(session: Session, client_id: str) -> PlantingCheckIn | None:
    return session.scalar(select(PlantingCheckIn).where(PlantingCheckIn.client_id == client_id))


def _outcome(session: Session, checkin: PlantingCheckIn, status: str) -> CheckInOutcome:
    other = False
    message = None
    if checkin.duplicate_of_id is not None:
        first = session.get(PlantingCheckIn, checkin.duplicate_of_id)
        other = first is not None and first.device_id != checkin.device_id
        when = localtime.local(first.scanned_at).strftime("%H:%M") if first else ""
        message = str(
            _l(
                "This pass was already checked in at %(time)s%(where)s; it is counted once "
                "and the trees of this second check-in are not added.",
                time=when,
                where=_l(" on another device") if other else "",
            )
        )
    return CheckInOutcome(
        client_id=checkin.client_id,
        status=status,
        pass_id=checkin.registration.pass_id,
        trees=sum(t.trees for t in checkin.trees) if checkin.duplicate_of_id is None else 0,
        other_device=other,
        message=message,
    )


def _check_pass(
    session: Session, keyring: Keyring, day: PlantingDay, text: str
) -> PlantingRegistration:
    try:
        claims = passes.verify(keyring, text)
    except passes.PassError as exc:
        raise DomainError(
            _l("This is not a genuine pass: it was altered or not signed by Tanhui.")
        ) from exc
    if claims.site_code != day.site.code:
        raise DomainError(
            _l("This pass is for another site (%(site)s), not this one.", site=claims.site_code)
        )
    if claims.day_code != day.code:
        raise DomainError(
            _l(
                "This pass is for another planting day (%(code)s), not this one.",
                code=claims.day_code,
            )
        )
    registration = queries.registration_by_pass(session, claims.pass_id)
    if registration is None or registration.day_id != day.id:
        raise DomainError(_l("This pass is not registered for this planting day."))
    if registration.places != claims.places:
        raise DomainError(_l("This pass does not match its registration."))
    if registration.status is not RegistrationStatus.REGISTERED:
        raise DomainError(
            _l("This pass was cancelled or is still on the waiting list: it admits nobody.")
        )
    return registration


def _public_planters(registration: PlantingRegistration) -> list[str]:
    if registration.group_name:
        shown = display_name(registration.group_name, registration.name_privacy)
        return [shown] if shown else []
    return [
        shown
        for p in registration.participants
        if not p.is_child and (shown := display_name(p.name, registration.name_privacy))
    ]


def record(
    session: Session,
    *,
    ranger: User,
    device_id: str,
    item: CheckInInput,
    keyring: Keyring,
    now: datetime | None = None,
) -> CheckInOutcome:
    """Store one uploaded check-in, idempotently on its client id; flushed, not committed."""
    now = now or utcnow()
    client_id = canonical_uuid(item.client_id)
    device = canonical_uuid(device_id)
    if client_id is None or device is None:
        raise DomainError(_l("A check-in needs a valid id."))
    found = _existing(session, client_id)
    if found is not None:
        return _outcome(session, found, "exists")
    day = queries.public_day_by_code(session, item.day_code)
    if day is None:
        raise DomainError(_l("Unknown planting day."))
    if not rangers.may_report(session, ranger, day.site):
        raise DomainError(_l("You are not assigned to this site."))
    if day.status is PlantingDayStatus.CANCELLED:
        raise DomainError(_l("This planting day was cancelled."))
    if item.scanned_at.tzinfo is None or item.scanned_at < now - MAX_AGE:
        raise DomainError(_l("The scan time is not plausible."))
    scanned_at = min(item.scanned_at, now)
    if localtime.local_date(scanned_at) != localtime.local_date(day.starts_at):
        raise DomainError(_l("Passes are checked in on the planting day itself."))
    registration = _check_pass(session, keyring, day, item.pass_text or "")
    if type(item.attendees) is not int or not 0 <= item.attendees <= registration.places:
        raise DomainError(
            _l(
                "The number of people present must be between 0 and the %(n)s the pass admits.",
                n=registration.places,
            )
        )
    plots = {p.code: p for p in day.plots}
    per_plot: dict[str, int] = {}
    for row in item.trees:
        code = (row.plot_code or "").strip().upper()
        if code not in plots:
            raise DomainError(
                _l("Plot %(code)s is not planted at this planting day.", code=code or "?")
            )
        if type(row.trees) is not int or not 1 <= row.trees <= MAX_TREES_PER_PLOT:
            raise DomainError(_l("Trees planted must be a whole number from 1 to 10,000."))
        per_plot[code] = per_plot.get(code, 0) + row.trees

    # Two devices uploading the same pass at once queue here.
    session.refresh(registration, with_for_update=True)
    first = session.scalar(
        select(PlantingCheckIn)
        .where(
            PlantingCheckIn.registration_id == registration.id,
            PlantingCheckIn.duplicate_of_id.is_(None),
        )
        .order_by(PlantingCheckIn.id)
        .limit(1)
    )
    if first is None and per_plot:
        planted = queries.trees_planted(session, day)
        if planted + sum(per_plot.values()) > day.trees_available:
            raise DomainError(
                _l(
                    "More trees than the planting day has: %(left)s of %(n)s are left to record.",
                    left=max(0, day.trees_available - planted),
                    n=day.trees_available,
                )
            )
    checkin = PlantingCheckIn(
        client_id=client_id,
        device_id=device,
        day_id=day.id,
        registration_id=registration.id,
        ranger_id=ranger.id,
        attendees=item.attendees,
        scanned_at=scanned_at,
        duplicate_of_id=first.id if first is not None else None,
        received_at=now,
    )
    try:
        with session.begin_nested():
            session.add(checkin)
            session.flush()
    except IntegrityError:
        found = _existing(session, client_id)
        if found is None:
            raise
        return _outcome(session, found, "exists")
    if first is not None:
        return _outcome(session, checkin, "duplicate")
    names = _public_planters(registration)
    for code, trees in sorted(per_plot.items()):
        plot = plots[code]
        session.add(PlantedTrees(checkin_id=checkin.id, plot_id=plot.id, trees=trees))
        if plot.status is PlotStatus.SPONSORED:
            note = f"植树日 {day.code}" + (f"：{'、'.join(names)}" if names else "")
            rangers.record_update(
                session, plot, ranger, PlotUpdateKind.PLANTED, None, note, (), now=scanned_at
            )
    session.flush()
    session.refresh(checkin)
    return _outcome(session, checkin, "created")


def record_many(
    session: Session,
    *,
    ranger: User,
    device_id: str,
    items: Sequence[CheckInInput],
    keyring: Keyring,
    now: datetime | None = None,
) -> list[CheckInOutcome]:
    """Store each check-in; one that breaks a rule is ``rejected`` with the reason."""
    if len(items) > MAX_BATCH:
        raise DomainError(_l("Too many check-ins in one upload."))
    return uploads.record_each(
        session,
        items,
        lambda item: record(
            session, ranger=ranger, device_id=device_id, item=item, keyring=keyring, now=now
        ),
        lambda item, exc: CheckInOutcome(
            client_id=str(item.client_id), status="rejected", message=str(exc.message)
        ),
    )


def people_present(session: Session, day: PlantingDay) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(PlantingCheckIn.attendees), 0)).where(
                PlantingCheckIn.day_id == day.id, PlantingCheckIn.duplicate_of_id.is_(None)
            )
        )
        or 0
    )
