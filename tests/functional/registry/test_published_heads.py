"""Published signed tree heads (``services/registry/published.py``): a transaction that grows
the ledger publishes the head of its new size as it commits; the periodic task publishes
what was written otherwise; a proof's nodes are read in one query."""

from __future__ import annotations

import threading

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from tests.support.registry import HOLD
from webapp.background import tasks
from webapp.extensions import db
from webapp.models import LedgerEntry, TreeHead
from webapp.services import keys
from webapp.services.registry import allocation as alloc
from webapp.services.registry import ledger, merkle, published
from webapp.services.signing import verify_tree_head


def test_every_committed_write_publishes_its_head(app, busy_ledger):
    head = published.latest(db.session)
    assert head is not None and head.tree_size == busy_ledger == ledger.size(db.session)
    _key, keyring = keys.signing(app.config)
    assert verify_tree_head(keyring, ledger.tree_head_dict(head))
    assert bytes(head.root_hash) == ledger.root_at(db.session, busy_ledger)
    # A transaction that writes nothing to the ledger publishes nothing.
    count = db.session.scalar(select(func.count()).select_from(TreeHead))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(TreeHead)) == count


def test_a_rolled_back_write_publishes_nothing(app, project, on_sale):
    on_sale(project, 1000)
    before = published.latest(db.session).tree_size
    alloc.reserve(db.session, project, 10, "rolled-back", hold=HOLD)
    db.session.rollback()
    db.session.commit()
    assert published.latest(db.session).tree_size == before == ledger.size(db.session)


def test_the_periodic_task_publishes_what_was_written_without_the_app(app, busy_ledger):
    assert "publish_tree_head" in tasks.PERIODIC
    db.session.commit()
    engine, failed = db.engine, []

    def write_without_the_app() -> None:
        # A new thread has no app context, hence no key: the write is not published.
        try:
            write(engine)
        except Exception as exc:  # reported by the assertion below
            failed.append(exc)

    def write(engine) -> None:
        with Session(engine) as session:
            head = ledger.lock_head(session)
            ledger.append(session, head, "note", {"text": "written by a script"})
            session.commit()

    worker = threading.Thread(target=write_without_the_app)
    worker.start()
    worker.join()
    assert not failed
    size = ledger.size(db.session)
    assert size == busy_ledger + 1
    assert published.latest(db.session).tree_size == busy_ledger
    assert tasks.publish_tree_head(db.session, app.config) == f"published tree head at size {size}"
    head = published.latest(db.session)
    assert head.tree_size == size
    # Once per size: running again keeps the same head.
    tasks.publish_tree_head(db.session, app.config)
    assert bytes(published.latest(db.session).signature) == bytes(head.signature)


def test_proofs_are_the_stored_tree_proofs_read_in_one_query(app, busy_ledger):
    n = busy_ledger
    leaves = [
        bytes(h)
        for h in db.session.scalars(select(LedgerEntry.leaf_hash).order_by(LedgerEntry.seq))
    ]
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for size in (1, 2, 3, 7, 8, 16, n):
            for seq in range(size):
                statements.clear()
                proof = published.inclusion_proof(db.session, seq, size)
                assert len(statements) <= 1, (seq, size, statements)
                assert proof == merkle.inclusion_proof(seq, leaves[:size])
    finally:
        event.remove(engine, "before_cursor_execute", count)
