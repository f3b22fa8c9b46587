"""Staff schedule planting days (植树日), change their capacity, and cancel them."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

import webapp.localtime as localtime
from webapp.errors import Conflict, DomainError
from webapp.models import MemorialSite, PlantingDay, PlantingDayStatus, Plot, PlotStatus, User
from webapp.models.base import utcnow
from webapp.services import audit, text_policy
from webapp.services.messages import PlantingDayCancelled
from webapp.unit_of_work import after_commit

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
MAX_CAPACITY = 2000
MAX_TREES = 100_000
MAX_NOTES = 2000


@dataclass(frozen=True)
class DayInput:
    """What staff give for a planting day; date and times are local (Asia/Shanghai)."""

    day: date
    start: time
    end: time
    meeting_point: str
    plot_ids: Sequence[int]
    trees_available: int
    capacity: int
    what_to_bring: str = ""
    safety_notes: str = ""


def new_code() -> str:
    return "PD" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def lock(session: Session, day: PlantingDay) -> PlantingDay:
    """The day's row, locked for this transaction and re-read (capacity and counters)."""
    session.flush()
    session.refresh(day, with_for_update=True)
    return day


def _clean(text: str, field: str, limit: int, *, multiline: bool = False) -> str:
    try:
        return text_policy.clean(text or "", multiline=multiline, limit=limit)
    except text_policy.TextRefused as exc:
        raise DomainError(_l("%(field)s: %(problem)s", field=field, problem=exc.message)) from exc


def _check(session: Session, site: MemorialSite, data: DayInput, now: datetime):
    zone = localtime.zone()
    starts_at = datetime.combine(data.day, data.start, tzinfo=zone)
    ends_at = datetime.combine(data.day, data.end, tzinfo=zone)
    if starts_at <= now:
        raise DomainError(_l("A planting day must start in the future."))
    if ends_at <= starts_at:
        raise DomainError(_l("The end time must be after the start time."))
    if not 1 <= data.capacity <= MAX_CAPACITY:
        raise DomainError(_l("The capacity must be between 1 and 2,000 people."))
    if not 1 <= data.trees_available <= MAX_TREES:
        raise DomainError(_l("The number of trees must be between 1 and 100,000."))
    meeting = _clean(data.meeting_point, str(_l("Meeting point")), 200)
    if not meeting:
        raise DomainError(_l("Please say where the planters meet."))
    bring = _clean(data.what_to_bring, str(_l("What to bring")), MAX_NOTES, multiline=True)
    safety = _clean(data.safety_notes, str(_l("Safety and weather")), MAX_NOTES, multiline=True)
    ids = sorted(set(data.plot_ids))
    if not ids:
        raise DomainError(_l("Please choose at least one plot to plant."))
    plots = list(session.scalars(select(Plot).where(Plot.id.in_(ids)).order_by(Plot.code)))
    if len(plots) != len(ids) or any(p.site_id != site.id for p in plots):
        raise DomainError(_l("Every plot must belong to this site."))
    for plot in plots:
        if plot.status is not PlotStatus.SPONSORED:
            raise DomainError(
                _l(
                    "Plot %(code)s is not waiting for planting: only sponsored plots not yet "
                    "planted can be planted on a planting day.",
                    code=plot.code,
                )
            )
    return starts_at, ends_at, meeting, bring, safety, plots


def schedule(
    session: Session,
    site: MemorialSite,
    data: DayInput,
    *,
    actor: User,
    now: datetime | None = None,
    is_demo: bool = False,
) -> PlantingDay:
    now = now or utcnow()
    starts_at, ends_at, meeting, bring, safety, plots = _check(session, site, data, now)
    day = PlantingDay(
        code=new_code(),
        site_id=site.id,
        starts_at=starts_at,
        ends_at=ends_at,
        meeting_point=meeting,
        trees_available=data.trees_available,
        capacity=data.capacity,
        places_taken=0,
        what_to_bring=bring,
        safety_notes=safety,
        status=PlantingDayStatus.SCHEDULED,
        created_by_id=actor.id,
        is_demo=is_demo,
        created_at=now,
    )
    day.plots = plots
    session.add(day)
    session.flush()
    audit.record(session, "planting_day.schedule", actor=actor, subject=day, code=day.code)
    return day


def cancel(
    session: Session, day: PlantingDay, reason: str, *, actor: User, now: datetime | None = None
) -> None:
    now = now or utcnow()
    lock(session, day)
    if day.status is PlantingDayStatus.CANCELLED:
        raise Conflict(_l("This planting day was cancelled."))
    if day.ends_at <= now:
        raise Conflict(_l("A planting day that has taken place cannot be cancelled."))
    reason = _clean(reason, str(_l("Reason")), 200)
    if not reason:
        raise DomainError(_l("Please give the reason for the cancellation."))
    day.status = PlantingDayStatus.CANCELLED
    day.cancel_reason = reason
    day.cancelled_at = now
    session.flush()
    audit.record(session, "planting_day.cancel", actor=actor, subject=day, reason=reason)
    after_commit(session, PlantingDayCancelled(day.id))
