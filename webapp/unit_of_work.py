"""The one boundary: commit once, roll back on any error, then run the after-commit actions.

Every writer — views, CLI commands, the payment webhook, background tasks — changes the
database inside ``with committing(session):``. Services never commit; when a change they
make needs something done *after* it is durable (queue a task, drop cached copies of a
certificate, send mail), they register a message with :func:`after_commit`. The boundary
hands each message to the handlers the domains registered at app creation (:func:`on`),
once, and only if the commit succeeded:

    with committing(db.session):
        refunds.refund(db.session, order, ...)   # registers CertificateChanged(...)
    # committed; CertificateChanged handlers have run

Why messages rather than callables: a service cannot know the app's configuration or
which caches exist, and must not import the web or background layers. A message is plain
data; whoever cares registers for it.

Messages registered inside a savepoint that is rolled back are dropped with it (a
fulfilment that gave up inside ``begin_nested`` must not send a receipt). A handler that
fails is logged and never undoes the commit: after-commit work is either idempotent and
retried by its own runner, or an optimisation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, scoped_session

log = logging.getLogger(__name__)

_PENDING = "tanhui.after_commit"
_ACTIVE = "tanhui.unit_of_work"
_HANDLERS = "tanhui.after_commit_handlers"

Handler = Callable[[Flask, Any], None]


def after_commit(session: Session, message: Any) -> None:
    """Ask for ``message`` to be handled once the current transaction has committed.

    The same message registered twice in one unit of work is handled once.
    """
    session = _real(session)
    pending: list[tuple[Any, SessionTransaction | None]] = session.info.setdefault(_PENDING, [])
    if any(existing == message for existing, _tx in pending):
        return
    transaction = session.get_nested_transaction() or session.get_transaction()
    pending.append((message, transaction))


def _real(session: Session | scoped_session) -> Session:
    """Flask-SQLAlchemy hands out a scoped session; its transactions live on the real one."""
    return session() if isinstance(session, scoped_session) else session


def pending_messages(session: Session) -> list[Any]:
    """What the current unit of work will hand on after its commit (for tests)."""
    return [message for message, _tx in _real(session).info.get(_PENDING, [])]


def on(app: Flask, message_type: type, handler: Handler) -> None:
    """Register ``handler(app, message)`` for messages of ``message_type`` (app creation)."""
    app.extensions.setdefault(_HANDLERS, {}).setdefault(message_type, []).append(handler)


@contextmanager
def committing(session: Session, app: Flask | None = None) -> Iterator[Session]:
    """One unit of work: the block's changes commit together, then their messages run.

    Any exception rolls everything back (the messages too) and propagates unchanged, so
    a view catches ``DomainError`` around the block to show its localised message.
    """
    session = _real(session)
    if session.info.get(_ACTIVE):
        raise RuntimeError("a unit of work is already open on this session")
    session.info[_ACTIVE] = True
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        session.info.pop(_PENDING, None)
        raise
    finally:
        session.info.pop(_ACTIVE, None)
    messages = [message for message, _tx in session.info.pop(_PENDING, [])]
    if messages:
        _dispatch(app if app is not None else current_app._get_current_object(), messages)  # type: ignore[attr-defined]


def _dispatch(app: Flask, messages: list[Any]) -> None:
    handlers: dict[type, list[Handler]] = app.extensions.get(_HANDLERS, {})
    for message in messages:
        registered = handlers.get(type(message))
        if not registered:
            # A message nobody handles is a wiring mistake; say so loudly in the logs.
            log.error("after-commit message %r has no handler", message)
            continue
        for handler in registered:
            try:
                handler(app, message)
            except Exception:
                log.exception("after-commit handler %s failed for %r", handler.__name__, message)


def _inside(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """Messages of a rolled-back transaction or savepoint are forgotten with it."""
    pending = session.info.get(_PENDING)
    if pending:
        pending[:] = [(m, tx) for m, tx in pending if not _inside(tx, previous_transaction)]


@event.listens_for(Session, "after_commit")
def _drop_outside_boundary(session: Session) -> None:
    """A commit outside :func:`committing` (a test's own ``session.commit()``) hands on
    nothing: its messages must not surface in a later, unrelated unit of work."""
    if not session.info.get(_ACTIVE):
        session.info.pop(_PENDING, None)
