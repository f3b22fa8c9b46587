"""The commit boundary as views use it when the answer is a flash message.

``attempt(lambda: service.do(db.session, ...), success=_("Done."))`` runs one service call
in a unit of work (:func:`webapp.unit_of_work.committing`); a ``DomainError`` rolls back
and its localised message is flashed. Views that show the error inside a form use
``committing`` directly in a ``try``/``except DomainError``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import flash

from webapp.errors import DomainError
from webapp.extensions import db
from webapp.unit_of_work import committing

T = TypeVar("T")


def attempt(action: Callable[[], T], success: str | None = None) -> T | None:
    """Run one service call and commit once; a DomainError rolls back and is flashed."""
    try:
        with committing(db.session):
            result = action()
    except DomainError as exc:
        flash(str(exc.message), "error")
        return None
    if success:
        flash(success, "success")
    return result
