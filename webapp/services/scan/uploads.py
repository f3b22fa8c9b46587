"""What the scanner's uploads share: each item of a batch is stored in its own savepoint, so
one that breaks a rule is answered ``rejected`` with the reason while the rest are kept
(visits of certificates, check-ins of planting days)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from sqlalchemy.orm import Session

from webapp.errors import DomainError

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")


def record_each(
    session: Session,
    items: Iterable[Item],
    record: Callable[[Item], Outcome],
    rejected: Callable[[Item, DomainError], Outcome],
) -> list[Outcome]:
    """``record(item)`` for each item in a savepoint; a domain error rolls back that item
    alone and gives ``rejected(item, error)``."""
    outcomes: list[Outcome] = []
    for item in items:
        try:
            with session.begin_nested():
                outcomes.append(record(item))
        except DomainError as exc:
            outcomes.append(rejected(item, exc))
    return outcomes
