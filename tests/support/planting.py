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
