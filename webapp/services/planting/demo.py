"""Demonstration planting days at the demo site (labelled demo): one upcoming, with the
demo resident registered with a child, one past, with its check-in and results, and one
proposed by the demo organisation, waiting for staff (seen by staff and the organiser only)."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

import webapp.localtime as localtime
from webapp.models import MemorialSite, PlantingDay, Plot, PlotUpdateKind, Privacy
from webapp.models.base import utcnow
from webapp.services import accounts
from webapp.services.planting import checkins, days, passes, proposals, registrations
from webapp.services.plots import rangers
from webapp.services.plots.demo import DEMO_ADMIN, DEMO_RANGER, DEMO_SITE
from webapp.services.signing import Keyring

DEMO_RESIDENT = "resident@tanhui.local"
DEMO_ORGANISER = "organiser@tanhui.local"


class _Report(Protocol):
    created: int
    existing: int


def _plots(session: Session, site: MemorialSite, codes: list[str]) -> list[Plot]:
    return list(session.scalars(select(Plot).where(Plot.site_id == site.id, Plot.code.in_(codes))))


def load(session: Session, key: Any, report: _Report, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    site = session.scalar(select(MemorialSite).where(MemorialSite.code == DEMO_SITE))
    admin = accounts.find_by_email(session, DEMO_ADMIN)
    ranger = accounts.find_by_email(session, DEMO_RANGER)
    resident = accounts.find_by_email(session, DEMO_RESIDENT)
    organiser = accounts.find_by_email(session, DEMO_ORGANISER)
    if site is None or admin is None or ranger is None or resident is None or organiser is None:
        return
    if session.scalar(select(PlantingDay.id).where(PlantingDay.is_demo.is_(True)).limit(1)):
        report.existing += 1
        return
    # Upcoming: the sponsored plots still waiting for planting.
    upcoming = days.schedule(
        session,
        site,
        days.DayInput(
            day=localtime.today(now) + timedelta(days=10),
            start=time(9, 0),
            end=time(11, 30),
            meeting_point="基地东门停车场",
            plot_ids=[p.id for p in _plots(session, site, ["C-01"])],
            trees_available=40,
            capacity=30,
            what_to_bring="手套、水、防晒帽",
            safety_notes="雨天顺延，届时短信与邮件通知。",
        ),
        actor=admin,
        now=now,
        is_demo=True,
    )
    registrations.register(
        session,
        upcoming,
        resident,
        [registrations.Person("王小林"), registrations.Person("王小禾", True)],
        now=now,
    )
    # Past (two weeks ago, after the sponsorships): C-03 and C-04 planted; C-03 inspected.
    past_date = localtime.today(now) - timedelta(days=14)
    scheduled_at = datetime.combine(past_date, time(0, 0), tzinfo=localtime.zone()) - timedelta(
        days=3
    )
    past = days.schedule(
        session,
        site,
        days.DayInput(
            day=past_date,
            start=time(9, 0),
            end=time(12, 0),
            meeting_point="基地东门停车场",
            plot_ids=[p.id for p in _plots(session, site, ["C-03", "C-04"])],
            trees_available=20,
            capacity=20,
        ),
        actor=admin,
        now=scheduled_at,
        is_demo=True,
    )
    registration = registrations.register(
        session,
        past,
        resident,
        [registrations.Person("王小林")],
        name_privacy=Privacy.INITIALS,
        now=scheduled_at,
    )
    text = passes.qr_text(
        "https://tanhui.local",
        key,
        passes.PassClaims(registration.pass_id, past.code, site.code, registration.places),
    )
    scanned_at = past.starts_at + timedelta(hours=1)
    checkins.record(
        session,
        ranger=ranger,
        device_id=str(uuid.UUID(int=1)),
        item=checkins.CheckInInput(
            client_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"tanhui-demo-{past.code}")),
            day_code=past.code,
            pass_text=text,
            attendees=1,
            scanned_at=scanned_at,
            trees=(checkins.TreesInput("C-03", 5), checkins.TreesInput("C-04", 4)),
        ),
        keyring=Keyring(key),
        now=scanned_at,
    )
    inspected = _plots(session, site, ["C-03"])[0]
    rangers.record_update(
        session,
        inspected,
        ranger,
        PlotUpdateKind.INSPECTED,
        4,
        "成活良好。",
        (),
        now=now - timedelta(days=3),
    )
    # Proposed by the demo organisation (C-02), waiting for a staff member's decision.
    proposals.propose(
        session,
        site,
        days.DayInput(
            day=localtime.today(now) + timedelta(days=17),
            start=time(8, 30),
            end=time(11, 30),
            meeting_point="基地南门广场",
            plot_ids=[p.id for p in _plots(session, site, ["C-02"])],
            trees_available=20,
            capacity=25,
            what_to_bring="工作手套、饮用水；铁锹由基地提供",
            safety_notes="请穿防滑鞋；遇雷雨天气改期。",
        ),
        "泰山论坛组委会的员工志愿者约二十人，希望在论坛结束后一起义务植树。联系人：组委会办公室。",
        proposer=organiser,
        now=now,
        is_demo=True,
    )
    report.created += 3
