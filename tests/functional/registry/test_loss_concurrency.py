"""A loss confirmed while buyers reserve from the same project, on separate connections
(PostgreSQL row locks): counters add up, nothing is oversold, no serial is held twice."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.support.app import build_app
from tests.support.registry import HOLD, make_project
from webapp.errors import Conflict
from webapp.extensions import db
from webapp.models import Issuance, Loss, LossCause, RangeState, RiskRating, SerialRange, User
from webapp.services import keys
from webapp.services.registry import allocation as alloc
from webapp.services.registry import audit_check, losses, queries

BUYERS = 20


@pytest.mark.postgres_only
def test_loss_confirmed_while_buyers_reserve(app, on_sale, make_user, tmp_path):
    project = make_project("TA-RACE", risk_rating=RiskRating.MEDIUM)
    db.session.commit()
    iss = on_sale(project, 10_000)  # 2,000 kg buffer, 8,000 on sale
    ranger, staff = make_user("ranger"), make_user("admin")
    loss = losses.report(
        db.session,
        project,
        losses.LossReport(LossCause.FIRE, date(2026, 1, 5), Decimal("5"), Decimal("3")),
        [],
        actor=ranger,
    )
    db.session.commit()
    ids = {"project": project.id, "loss": loss.id, "staff": staff.id, "iss": iss.id}
    db.session.rollback()
    worker_app = build_app(
        app.config["SQLALCHEMY_DATABASE_URI"],
        tmp_path / "workers",
        SIGNING_KEY_FILE=app.config["SIGNING_KEY_FILE"],
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": BUYERS + 5, "max_overflow": 0, "pool_timeout": 120},
    )
    start = threading.Barrier(BUYERS + 1)
    outcomes: dict[int, str] = {}
    errors: list[BaseException] = []

    def buyer(i: int) -> None:
        try:
            with worker_app.app_context():
                start.wait()
                from webapp.models import SinkProject

                proj = db.session.get(SinkProject, ids["project"])
                try:
                    alloc.reserve(db.session, proj, 450, f"buyer-{i}", hold=HOLD)
                    db.session.commit()
                    outcomes[i] = "reserved"
                except Conflict:
                    db.session.rollback()
                    outcomes[i] = "refused"
                finally:
                    db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    def confirmer() -> None:
        try:
            with worker_app.app_context():
                start.wait()
                losses.confirm(
                    db.session,
                    db.session.get(Loss, ids["loss"]),
                    actor=db.session.get(User, ids["staff"]),
                )
                db.session.commit()
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=buyer, args=(i,)) for i in range(BUYERS)]
    threads.append(threading.Thread(target=confirmer))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    with worker_app.app_context():
        db.engine.dispose()
    assert not errors, errors

    db.session.expire_all()
    batch = db.session.get(Issuance, ids["iss"])
    confirmed = db.session.get(Loss, ids["loss"])
    assert confirmed.buffer_kg == 2_000 and confirmed.stops_sales
    reserved = 450 * sum(1 for o in outcomes.values() if o == "reserved")
    assert batch.reserved_kg == reserved
    assert confirmed.stock_kg == min(1_000, 8_000 - reserved)  # what was unsold then
    assert batch.available_kg >= 0
    counters = queries.project_counters(db.session)[ids["project"]]
    assert counters.issued_kg == (
        counters.available_kg
        + counters.reserved_kg
        + counters.retired_kg
        + counters.buffer_held_kg
        + counters.buffer_used_kg
        + counters.cancelled_kg
    )
    serials: Counter[int] = Counter()
    for first, last in db.session.execute(
        select(SerialRange.first, SerialRange.last).where(SerialRange.state != RangeState.RETURNED)
    ):
        serials.update(range(first, last + 1))
    assert max(serials.values()) == 1
    assert queries.counter_mismatches(db.session) == []
    _, keyring = keys.signing(app.config)
    db.session.rollback()
    report = audit_check.verify_registry(db.session, keyring)
    assert report.ok, report.problems
