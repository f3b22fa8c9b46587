"""Several requests for the same surplus refund at once, on separate connections: exactly
one refund (one provider refund, one reversal entry, one re-issued certificate).

Meant for PostgreSQL (row locks on the event's organiser orders); on SQLite writers are
serialised and the same must hold.
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from tests.support.app import build_app
from tests.support.events import trued_up_below
from webapp.errors import Conflict
from webapp.extensions import db
from webapp.models import (
    Certificate,
    CertificateStatus,
    DemoCheckout,
    Event,
    LedgerEntry,
    Order,
    User,
)
from webapp.services import keys
from webapp.services.events import surplus
from webapp.services.payments import gateway
from webapp.services.registry import ledger, queries

REQUESTS = 8


def test_parallel_refund_requests_refund_once(app, client, credits, organiser, org, tmp_path):
    event, order = trued_up_below(client, organiser, org)
    surplus_kg = event.estimate_kg - event.actual_kg
    event_id, user_id, order_id = event.id, organiser.id, order.id
    db.session.rollback()

    worker_app = build_app(
        app.config["SQLALCHEMY_DATABASE_URI"],
        tmp_path / "workers",
        # Servers share the signing key: the heads they publish verify with it.
        SIGNING_KEY_FILE=app.config["SIGNING_KEY_FILE"],
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": REQUESTS + 2, "max_overflow": 0},
    )
    start = threading.Barrier(REQUESTS)
    results: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def ask() -> None:
        try:
            with worker_app.app_context():
                key, _keyring = keys.signing(worker_app.config)
                start.wait()
                try:
                    outcome = surplus.refund(
                        db.session,
                        db.session.get(Event, event_id),
                        actor=db.session.get(User, user_id),
                        provider_for=lambda m: gateway.provider_for(worker_app.config, m),
                        key=key,
                        expected_kg=surplus_kg,
                    )
                    db.session.commit()
                    result = outcome.result
                except Conflict:
                    db.session.rollback()
                    result = "conflict"
                finally:
                    db.session.remove()
                with lock:
                    results.append(result)
        except BaseException as exc:  # surfaced below; a thread must not swallow it
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(REQUESTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    with worker_app.app_context():
        db.engine.dispose()
    assert not errors, errors
    assert sorted(results) == ["nothing"] * (REQUESTS - 1) + ["refunded"]

    db.session.expire_all()
    order = db.session.get(Order, order_id)
    assert order.refunded_kg == surplus_kg
    checkout = db.session.get(DemoCheckout, order.provider_session_id)
    assert checkout.refunded_fen == order.refunded_fen
    count = db.session.scalar(
        select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "reversal")
    )
    assert count == 1
    valid = db.session.scalar(
        select(func.count())
        .select_from(Certificate)
        .where(Certificate.status == CertificateStatus.VALID)
    )
    assert valid == 1
    assert queries.counter_mismatches(db.session) == []
    _key, keyring = keys.signing(app.config)
    assert ledger.verify(db.session, keyring).ok
