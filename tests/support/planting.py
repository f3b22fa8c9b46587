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


def too_late_for_a_scene_today() -> bool:
    """After 23:56 local time the scene's day could not start before 23:59 (its end)."""
    return localtime.local(utcnow()).time() >= time(23, 56)


def browser_scene(app, password: str) -> dict[str, str]:
    """For the browser test: a ranger of CLS-JN, a resident, two sponsored plots and a
    planting day today until 23:59, starting at 23:00 or, later in the evening, two
    minutes from now (registration still open; check-ins must fall on the day's date)."""
    from decimal import Decimal

    from tests.support.plots import make_site
    from webapp.models import DedicationKind, Privacy, Role
    from webapp.services import accounts
    from webapp.services.plots import catalogue, rangers, reservations

    with app.app_context():
        ranger = accounts.register(
            db.session,
            email="ranger@example.cn",
            password=password,
            display_name="老王",
            role=Role.RANGER,
        )
        admin = accounts.register(
            db.session,
            email="boss@example.cn",
            password=password,
            display_name="站长",
            role=Role.ADMIN,
        )
        accounts.register(
            db.session, email="lin@example.cn", password=password, display_name="林小树"
        )
        sponsor = accounts.register(
            db.session, email="zhao@example.cn", password=password, display_name="赵"
        )
        site = make_site()
        rangers.assign(db.session, ranger, site, actor=admin)
        species = catalogue.add_species(
            db.session,
            site,
            code="arborvitae",
            name_zh="侧柏",
            name_en="Chinese arborvitae",
            factor_id="forest.project.suichuan.per_mu",
        )
        plots = []
        for code, x in (("B-01", 10), ("B-02", 40)):
            plot = catalogue.add_plot(
                db.session,
                site,
                code=code,
                species=species,
                price=Decimal("600.00"),
                polygon=[[x, 10], [x + 20, 10], [x + 20, 30], [x, 30]],
                area_mu=Decimal("1.50"),
                tree_count=100,
            )
            reservations.reserve(db.session, [plot], f"T-{code}", timedelta(minutes=30))
            reservations.sponsor(
                db.session,
                f"T-{code}",
                user=sponsor,
                sponsor_name="赵",
                privacy=Privacy.FULL,
                dedication=DedicationKind.WEDDING,
                message="",
                locale="zh_CN",
            )
            plots.append(plot)
        now = localtime.local(utcnow())
        start = max(time(23, 0), (now + timedelta(minutes=2)).time().replace(second=0))
        day = days.schedule(
            db.session,
            site,
            days.DayInput(
                day=localtime.today(),
                start=start,
                end=time(23, 59),
                meeting_point="东门停车场",
                plot_ids=[p.id for p in plots],
                trees_available=50,
                capacity=20,
            ),
            actor=admin,
        )
        db.session.commit()
        return {"day": day.code}


def make_proposal(
    site, plots, proposer, *, capacity: int = 10, in_days: int = 7, note: str = "员工二十人"
) -> PlantingDay:
    """A day proposed by ``proposer`` (an organiser or staff), waiting for staff."""
    from webapp.services.planting import proposals

    day = proposals.propose(
        db.session,
        site,
        days.DayInput(
            day=localtime.today() + timedelta(days=in_days),
            start=time(9, 0),
            end=time(12, 0),
            meeting_point="南门广场",
            plot_ids=[p.id for p in plots],
            trees_available=30,
            capacity=capacity,
            what_to_bring="手套",
            safety_notes="防滑鞋",
        ),
        note,
        proposer=proposer,
    )
    db.session.commit()
    return day
