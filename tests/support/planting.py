"""Planting days (plain helpers): a day scheduled through the service."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from webapp import localtime
from webapp.extensions import db
from webapp.models import PlantingDay
from webapp.models.base import utcnow
from webapp.services.planting import days


def make_day(
    site, plots, admin, *, capacity: int = 10, in_days: int = 7, trees: int = 50
) -> PlantingDay:
    local_day = localtime.today() + timedelta(days=in_days)
    day = days.schedule(
        db.session,
        site,
        days.DayInput(
            day=local_day,
            start=time(9, 0),
            end=time(12, 0),
            meeting_point="东门停车场",
            plot_ids=[p.id for p in plots],
            trees_available=trees,
            capacity=capacity,
            what_to_bring="手套、水",
            safety_notes="雨天改期",
        ),
        actor=admin,
    )
    db.session.commit()
    return day


def move_to_past(day: PlantingDay, hours_ago: int = 30) -> PlantingDay:
    """Shift a scheduled day into the past (as if time went by)."""
    length = day.ends_at - day.starts_at
    day.starts_at = utcnow() - timedelta(hours=hours_ago)
    day.ends_at = day.starts_at + length
    db.session.commit()
    return day


def local_start(day: PlantingDay) -> datetime:
    return localtime.local(day.starts_at)


def make_today(site, plots, admin, *, capacity: int = 10, trees: int = 50) -> PlantingDay:
    """A planting day today (00:00–23:59 local), scheduled as if two days ago."""
    day = days.schedule(
        db.session,
        site,
        days.DayInput(
            day=localtime.today(),
            start=time(0, 0),
            end=time(23, 59),
            meeting_point="东门停车场",
            plot_ids=[p.id for p in plots],
            trees_available=trees,
            capacity=capacity,
        ),
        actor=admin,
        now=utcnow() - timedelta(days=2),
    )
    db.session.commit()
    return day


def register_early(day: PlantingDay, user, people, **kwargs):
    """Register as if before the day began (for days that are today)."""
    from webapp.services.planting import registrations

    registration = registrations.register(
        db.session,
        day,
        user,
        [
            registrations.Person(*p) if isinstance(p, tuple) else registrations.Person(p)
            for p in people
        ],
        now=day.starts_at - timedelta(days=1),
        **kwargs,
    )
    db.session.commit()
    return registration


def pass_text(app, registration) -> str:
    from webapp.services import keys
    from webapp.services.planting import passes

    key, _keyring = keys.signing(app.config)
    return passes.qr_text(
        app.config["BASE_URL"],
        key,
        passes.PassClaims(
            pass_id=registration.pass_id,
            day_code=registration.day.code,
            site_code=registration.day.site.code,
            places=registration.places,
        ),
    )
