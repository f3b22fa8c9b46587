"""Staff schedule planting days (植树日), change their capacity, and cancel them; the day's
one state machine (``day_transition``); the checks a day's facts must pass, shared by staff
scheduling and organisations' proposals (``services/planting/proposals.py``)."""

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
from webapp.models.planting import planting_day_plots
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


# The planting day's state machine: the one table, the one function (``day_transition``).
DAY_TRANSITIONS: dict[PlantingDayStatus, frozenset[PlantingDayStatus]] = {
    PlantingDayStatus.PROPOSED: frozenset(
        {PlantingDayStatus.SCHEDULED, PlantingDayStatus.DECLINED, PlantingDayStatus.WITHDRAWN}
    ),
    PlantingDayStatus.SCHEDULED: frozenset({PlantingDayStatus.CANCELLED}),
    PlantingDayStatus.CANCELLED: frozenset(),
    PlantingDayStatus.DECLINED: frozenset(),
    PlantingDayStatus.WITHDRAWN: frozenset(),
}


def day_transition(current: PlantingDayStatus, target: PlantingDayStatus) -> PlantingDayStatus:
    """``target`` if the table allows ``current`` → ``target``; raises Conflict otherwise."""
    if target not in DAY_TRANSITIONS[current]:
        from webapp.labels import label

        raise Conflict(
            _l(
                "This planting day is “%(a)s”: it cannot become “%(b)s”.",
                a=label(current),
                b=label(target),
            )
        )
    return target


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
    plots = check_plots(session, site, data.plot_ids, now)
    return starts_at, ends_at, meeting, bring, safety, plots


def check_plots(
    session: Session,
    site: MemorialSite,
    plot_ids: Sequence[int],
    now: datetime,
    *,
    other_than: PlantingDay | None = None,
) -> list[Plot]:
    """The plots, locked (a concurrent scheduling of the same plots queues here): of
    ``site``, sponsored and not yet planted, and on no other scheduled day still to come."""
    ids = sorted(set(plot_ids))
    if not ids:
        raise DomainError(_l("Please choose at least one plot to plant."))
    plots = list(
        session.scalars(select(Plot).where(Plot.id.in_(ids)).order_by(Plot.id).with_for_update())
    )
    plots.sort(key=lambda p: p.code)
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
    busy = booked_plot_ids(session, now, ids, other_than=other_than)
    for plot in plots:
        if plot.id in busy:
            raise DomainError(
                _l(
                    "Plot %(code)s is already on another planting day: choose another plot.",
                    code=plot.code,
                )
            )
    return plots


def booked_plot_ids(
    session: Session,
    now: datetime,
    ids: Sequence[int] | None = None,
    *,
    other_than: PlantingDay | None = None,
) -> set[int]:
    """Plots (of ``ids``, or all) on a scheduled day that has not ended, ``other_than`` aside."""
    query = (
        select(planting_day_plots.c.plot_id)
        .join(PlantingDay, PlantingDay.id == planting_day_plots.c.day_id)
        .where(PlantingDay.status == PlantingDayStatus.SCHEDULED, PlantingDay.ends_at > now)
    )
    if ids is not None:
        query = query.where(planting_day_plots.c.plot_id.in_(ids))
    if other_than is not None:
        query = query.where(PlantingDay.id != other_than.id)
    return set(session.scalars(query))


def build(
    session: Session,
    site: MemorialSite,
    data: DayInput,
    *,
    actor: User,
    status: PlantingDayStatus,
    now: datetime,
    is_demo: bool = False,
) -> PlantingDay:
    """A new day from checked facts (staff's schedule, an organisation's proposal), added
    to the session; the caller completes it and flushes."""
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
        status=status,
        created_by_id=actor.id,
        is_demo=is_demo,
        created_at=now,
    )
    day.plots = plots
    session.add(day)
    return day


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
    day = build(
        session,
        site,
        data,
        actor=actor,
        status=PlantingDayStatus.SCHEDULED,
        now=now,
        is_demo=is_demo,
    )
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
    target = day_transition(day.status, PlantingDayStatus.CANCELLED)
    if day.ends_at <= now:
        raise Conflict(_l("A planting day that has taken place cannot be cancelled."))
    reason = _clean(reason, str(_l("Reason")), 200)
    if not reason:
        raise DomainError(_l("Please give the reason for the cancellation."))
    day.status = target
    day.cancel_reason = reason
    day.cancelled_at = now
    session.flush()
    audit.record(session, "planting_day.cancel", actor=actor, subject=day, reason=reason)
    after_commit(session, PlantingDayCancelled(day.id))
