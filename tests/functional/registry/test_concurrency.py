"""50 buyers race for a batch smaller than their total demand, on separate connections.

Runs on PostgreSQL (row locks) and on SQLite (serialised writers). Nothing is oversold, no
serial is held twice, and the counters equal what the ledger and the serial ranges say.
"""

from __future__ import annotations

import random
import threading
from collections import Counter

from sqlalchemy import select

from tests.support.app import build_app
from tests.support.registry import HOLD
from webapp.errors import Conflict
from webapp.extensions import db
from webapp.models import Issuance, RangeState, SerialRange, SinkProject
from webapp.services import keys
from webapp.services.registry import allocation as alloc
from webapp.services.registry import ledger, queries

BUYERS = 50
BATCH_KG = 5_000


def test_fifty_concurrent_buyers_never_oversell(app, project, on_sale, tmp_path):
    iss = on_sale(project, BATCH_KG)
    project_id, issuance_id = project.id, iss.id
    demands = [random.Random(i).randint(50, 300) for i in range(BUYERS)]
    assert sum(demands) > BATCH_KG
    db.session.rollback()

    worker_app = build_app(
        app.config["SQLALCHEMY_DATABASE_URI"],
        tmp_path / "workers",
        # Servers share the signing key: the heads they publish verify with it.
        SIGNING_KEY_FILE=app.config["SIGNING_KEY_FILE"],
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": BUYERS + 5, "max_overflow": 0, "pool_timeout": 120},
    )
    start = threading.Barrier(BUYERS)
    outcomes: dict[int, str] = {}
    errors: list[BaseException] = []

    def buyer(i: int) -> None:
        try:
            with worker_app.app_context():
                start.wait()
                proj = db.session.get(SinkProject, project_id)
                try:
                    alloc.reserve(db.session, proj, demands[i], f"buyer-{i}", hold=HOLD)
                    db.session.commit()
                    outcomes[i] = "reserved"
                except Conflict:
                    db.session.rollback()
                    outcomes[i] = "refused"
                finally:
                    db.session.remove()
        except BaseException as exc:  # surfaced below; a thread must not swallow it
            errors.append(exc)

    threads = [threading.Thread(target=buyer, args=(i,)) for i in range(BUYERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    with worker_app.app_context():
        db.engine.dispose()
    assert not errors, errors
    assert len(outcomes) == BUYERS

    db.session.expire_all()
    batch = db.session.get(Issuance, issuance_id)
    reserved_total = sum(demands[i] for i, o in outcomes.items() if o == "reserved")
    assert batch.reserved_kg == reserved_total <= BATCH_KG
    assert "refused" in outcomes.values()  # demand exceeded supply, someone was told no

    # No serial appears twice, all lie inside the batch.
    serials: Counter[int] = Counter()
    for first, last in db.session.execute(
        select(SerialRange.first, SerialRange.last).where(SerialRange.state != RangeState.RETURNED)
    ):
        assert batch.serial_first <= first <= last <= batch.serial_last
        serials.update(range(first, last + 1))
    assert sum(serials.values()) == reserved_total
    assert max(serials.values()) == 1

    # Counters equal what the ledger and the serial ranges say; the ledger verifies.
    assert queries.counter_mismatches(db.session) == []
    counters = queries.project_counters(db.session)[project_id]
    assert counters.reserved_kg == reserved_total
    assert counters.available_kg == BATCH_KG - reserved_total
    _, keyring = keys.signing(app.config)
    report = ledger.verify(db.session, keyring)
    assert report.ok, report.problems
