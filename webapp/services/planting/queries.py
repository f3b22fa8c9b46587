"""Read-only look-ups of planting days for pages, the API and the scanner.

Only days in ``PUBLIC_DAY_STATUSES`` (scheduled, cancelled) are ever shown outside the
staff pages and the proposer's own page: ``public_day_by_code`` for every public look-up,
``day_by_code`` for staff only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import webapp.localtime as localtime
from webapp.models import (
    MemorialSite,
    PlantedTrees,
    PlantingCheckIn,
    PlantingDay,
    PlantingDayStatus,
    PlantingRegistration,
    Plot,
    RegistrationStatus,
    User,
)
from webapp.models.base import utcnow
from webapp.models.planting import PUBLIC_DAY_STATUSES
from webapp.services.plots.queries import latest_survival
from webapp.services.registry.privacy import display_name


def day_by_code(session: Session, code: str) -> PlantingDay | None:
    """Any day, proposals included: for staff pages only."""
    if not isinstance(code, str) or len(code) > 12:
        return None
    return session.scalar(select(PlantingDay).where(PlantingDay.code == code.upper()))


def public_day_by_code(session: Session, code: str) -> PlantingDay | None:
    """A scheduled or cancelled day; None for a proposal (pending, declined, withdrawn)."""
    if not isinstance(code, str) or len(code) > 12:
        return None
    return session.scalar(
        select(PlantingDay).where(
            PlantingDay.code == code.upper(), PlantingDay.status.in_(PUBLIC_DAY_STATUSES)
        )
    )


def upcoming(session: Session, now: datetime | None = None) -> list[PlantingDay]:
    now = now or utcnow()
    return list(
        session.scalars(
            select(PlantingDay)
            .where(PlantingDay.ends_at > now, PlantingDay.status == PlantingDayStatus.SCHEDULED)
            .order_by(PlantingDay.starts_at, PlantingDay.id)
        )
    )


def past(session: Session, now: datetime | None = None, limit: int = 50) -> list[PlantingDay]:
    now = now or utcnow()
    return list(
        session.scalars(
            select(PlantingDay)
            .where(PlantingDay.ends_at <= now, PlantingDay.status == PlantingDayStatus.SCHEDULED)
            .order_by(PlantingDay.starts_at.desc(), PlantingDay.id.desc())
            .limit(limit)
        )
    )


def all_days(session: Session) -> list[PlantingDay]:
    """The days staff list: scheduled and cancelled ones (proposals have their own list)."""
    return list(
        session.scalars(
            select(PlantingDay)
            .where(PlantingDay.status.in_(PUBLIC_DAY_STATUSES))
            .order_by(PlantingDay.starts_at.desc())
        )
    )


def decided_proposals(session: Session, limit: int = 20) -> list[PlantingDay]:
    """Proposals declined or withdrawn, newest first (staff's record)."""
    return list(
        session.scalars(
            select(PlantingDay)
            .where(
                PlantingDay.status.in_((PlantingDayStatus.DECLINED, PlantingDayStatus.WITHDRAWN))
            )
            .order_by(PlantingDay.created_at.desc(), PlantingDay.id.desc())
            .limit(limit)
        )
    )


def site_days(session: Session, site: MemorialSite) -> list[PlantingDay]:
    return list(
        session.scalars(
            select(PlantingDay)
            .where(PlantingDay.site_id == site.id, PlantingDay.status.in_(PUBLIC_DAY_STATUSES))
            .order_by(PlantingDay.starts_at.desc(), PlantingDay.id.desc())
        )
    )


def registered_places(day: PlantingDay) -> int:
    return day.places_taken


def waiting_count(session: Session, day: PlantingDay) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(PlantingRegistration.places), 0)).where(
                PlantingRegistration.day_id == day.id,
                PlantingRegistration.status == RegistrationStatus.WAITLISTED,
            )
        )
        or 0
    )


def counted_checkins(session: Session, day: PlantingDay) -> list[PlantingCheckIn]:
    """The day's check-ins that count (a repeated check-in of the same pass does not)."""
    return list(
        session.scalars(
            select(PlantingCheckIn)
            .where(PlantingCheckIn.day_id == day.id, PlantingCheckIn.duplicate_of_id.is_(None))
            .order_by(PlantingCheckIn.id)
        )
    )


@dataclass(frozen=True)
class PlotResult:
    plot: Plot
    trees: int
    survival: tuple[int, date] | None  # latest inspection after the planting


@dataclass(frozen=True)
class DayResults:
    attended: int  # people
    trees: int
    plots: list[PlotResult]
    planters_public: list[str]  # names as their holders allowed; others are not listed


def results(session: Session, day: PlantingDay) -> DayResults:
    checkins = counted_checkins(session, day)
    by_plot: dict[int, int] = {}
    for checkin in checkins:
        for row in checkin.trees:
            by_plot[row.plot_id] = by_plot.get(row.plot_id, 0) + row.trees
    plots = [
        PlotResult(plot=p, trees=by_plot[p.id], survival=latest_survival(p))
        for p in session.scalars(select(Plot).where(Plot.id.in_(by_plot)).order_by(Plot.code))
    ]
    names = []
    for checkin in checkins:
        registration = checkin.registration
        if registration.group_name:
            shown = display_name(registration.group_name, registration.name_privacy)
            if shown:
                names.append(shown)
            continue
        for person in registration.participants:
            if person.is_child:
                continue  # children are never named publicly
            shown = display_name(person.name, registration.name_privacy)
            if shown:
                names.append(shown)
    return DayResults(
        attended=sum(c.attendees for c in checkins),
        trees=sum(by_plot.values()),
        plots=plots,
        planters_public=names,
    )


def trees_planted(session: Session, day: PlantingDay) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(PlantedTrees.trees), 0))
            .join(PlantingCheckIn, PlantedTrees.checkin_id == PlantingCheckIn.id)
            .where(PlantingCheckIn.day_id == day.id, PlantingCheckIn.duplicate_of_id.is_(None))
        )
        or 0
    )


def registrations_of(session: Session, user: User) -> list[PlantingRegistration]:
    return list(
        session.scalars(
            select(PlantingRegistration)
            .where(PlantingRegistration.user_id == user.id)
            .order_by(PlantingRegistration.id.desc())
        )
    )


def registration_by_pass(session: Session, pass_id: str) -> PlantingRegistration | None:
    if not isinstance(pass_id, str) or len(pass_id) > 12:
        return None
    return session.scalar(
        select(PlantingRegistration).where(PlantingRegistration.pass_id == pass_id.upper())
    )


def pack_days(
    session: Session, sites: list[MemorialSite], now: datetime | None = None
) -> list[dict]:
    """Planting days of ``sites`` from yesterday to two weeks ahead, for the scanner's pack:
    codes, times, plots and each registered pass's places — no names, no e-mail, no phone,
    no account."""
    now = now or utcnow()
    if not sites:
        return []
    days = session.scalars(
        select(PlantingDay)
        .where(
            PlantingDay.site_id.in_([s.id for s in sites]),
            PlantingDay.status == PlantingDayStatus.SCHEDULED,
            PlantingDay.ends_at > now - timedelta(days=1),
            PlantingDay.starts_at < now + timedelta(days=14),
        )
        .order_by(PlantingDay.starts_at, PlantingDay.id)
    )
    out = []
    for day in days:
        out.append(
            {
                "code": day.code,
                "site": day.site.code,
                "date": localtime.local_date(day.starts_at).isoformat(),
                "starts_at": localtime.local(day.starts_at).isoformat(),
                "ends_at": localtime.local(day.ends_at).isoformat(),
                "trees_available": day.trees_available,
                "plots": [p.code for p in day.plots],
                "passes": {
                    r.pass_id: r.places
                    for r in day.registrations
                    if r.status is RegistrationStatus.REGISTERED
                },
            }
        )
    return out
