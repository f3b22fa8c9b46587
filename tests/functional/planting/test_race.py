"""More people than places register at once, each on their own connection: exactly
``capacity`` are registered, the rest waiting-listed with a clear message.

On PostgreSQL the day's row lock (SELECT … FOR UPDATE) makes them queue and re-read the
places taken; on SQLite writers are serialised (BEGIN IMMEDIATE)."""

from __future__ import annotations

import threading

import pytest
from flask_babel import force_locale

from tests.support.app import build_app
from tests.support.planting import make_day
from webapp.extensions import db
from webapp.models import PlantingDay, PlantingRegistration, RegistrationStatus, User
from webapp.services.planting import registrations

PEOPLE = 12
CAPACITY = 5


@pytest.mark.postgres_only
def test_twelve_people_racing_for_five_places(
    app, make_user, site, sponsored_plots, planting_admin, tmp_path
):
    day_id = make_day(site, sponsored_plots, planting_admin, capacity=CAPACITY).id
    user_ids = [make_user().id for _ in range(PEOPLE)]
    db.session.rollback()
    worker_app = build_app(
        app.config["SQLALCHEMY_DATABASE_URI"],
        tmp_path / "workers",
        SIGNING_KEY_FILE=app.config["SIGNING_KEY_FILE"],
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": PEOPLE + 2, "max_overflow": 0, "pool_timeout": 60},
    )
    start = threading.Barrier(PEOPLE)
    outcomes: dict[int, str] = {}
    messages: dict[int, str] = {}
    errors: list[BaseException] = []

    def person(i: int) -> None:
        try:
            with worker_app.test_request_context():
                start.wait()
                try:
                    day = db.session.get(PlantingDay, day_id)
                    user = db.session.get(User, user_ids[i])
                    registration = registrations.register(
                        db.session, day, user, [registrations.Person(f"P{i}")]
                    )
                    with force_locale("en"):
                        messages[i] = registrations.outcome(db.session, registration)
                    outcomes[i] = registration.status.value
                    db.session.commit()
                finally:
                    db.session.remove()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=person, args=(i,)) for i in range(PEOPLE)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    with worker_app.app_context():
        db.engine.dispose()
    assert not errors, errors
    assert list(outcomes.values()).count("registered") == CAPACITY
    assert list(outcomes.values()).count("waitlisted") == PEOPLE - CAPACITY
    for i, status in outcomes.items():
        if status == "waitlisted":
            assert messages[i].startswith("This planting day is full: you are number ")
    db.session.expire_all()
    day = db.session.get(PlantingDay, day_id)
    assert day.places_taken == CAPACITY
    rows = db.session.query(PlantingRegistration).all()
    assert sum(r.status is RegistrationStatus.REGISTERED for r in rows) == CAPACITY
    # The waiting list is in order: positions 1..7 with no gap or repeat.
    positions = sorted(
        registrations.waiting_position(db.session, r)
        for r in rows
        if r.status is RegistrationStatus.WAITLISTED
    )
    assert positions == list(range(1, PEOPLE - CAPACITY + 1))


APPROVALS = 4


@pytest.mark.postgres_only
def test_proposals_of_the_same_plot_approved_at_once_schedule_it_once(
    app, make_user, site, sponsored_plots, planting_admin, tmp_path
):
    """Staff approve four proposals planting the same plot at the same moment: the plots'
    row locks make them queue, so exactly one is scheduled and the others are refused."""
    from tests.support.planting import make_proposal
    from webapp.errors import DomainError
    from webapp.models import PlantingDayStatus
    from webapp.services.planting import proposals

    organiser = make_user("organiser", email="org-race@example.cn")
    day_ids = [
        make_proposal(site, sponsored_plots[:1], organiser, in_days=3 + i).id
        for i in range(APPROVALS)
    ]
    admin_id = planting_admin.id
    db.session.rollback()
    worker_app = build_app(
        app.config["SQLALCHEMY_DATABASE_URI"],
        tmp_path / "workers",
        SIGNING_KEY_FILE=app.config["SIGNING_KEY_FILE"],
        SQLALCHEMY_ENGINE_OPTIONS={
            "pool_size": APPROVALS + 2,
            "max_overflow": 0,
            "pool_timeout": 60,
        },
    )
    start = threading.Barrier(APPROVALS)
    outcomes: dict[int, str] = {}
    errors: list[BaseException] = []

    def approve(i: int) -> None:
        try:
            with worker_app.test_request_context():
                start.wait()
                try:
                    day = db.session.get(PlantingDay, day_ids[i])
                    proposals.approve(db.session, day, actor=db.session.get(User, admin_id))
                    db.session.commit()
                    outcomes[i] = "approved"
                except DomainError as exc:
                    db.session.rollback()
                    with force_locale("en"):
                        outcomes[i] = str(exc.message)
                finally:
                    db.session.remove()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=approve, args=(i,)) for i in range(APPROVALS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    with worker_app.app_context():
        db.engine.dispose()
    assert not errors, errors
    assert list(outcomes.values()).count("approved") == 1
    for outcome in outcomes.values():
        assert outcome == "approved" or "is already on another planting day" in outcome
    db.session.expire_all()
    statuses = [db.session.get(PlantingDay, i).status for i in day_ids]
    assert statuses.count(PlantingDayStatus.SCHEDULED) == 1
    assert statuses.count(PlantingDayStatus.PROPOSED) == APPROVALS - 1
