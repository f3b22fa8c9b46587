"""A project's public timeline (issue 18): what happened to its credits and its forest.

Built from the project's ledger entries of the kinds in :data:`KINDS` (issuance approved,
buffer withheld, loss cancelled, loss resolved). Other domains add theirs in one of two
ways: a ledger kind appended to :data:`KINDS` (its entries then appear, with the label of
``labels.KIND_LABELS``), or a source registered with :func:`register_source` returning
:class:`TimelineItem` s (e.g. monitoring periods and deliveries). The template
``registry/_timeline.html`` shows each kind it knows in detail and any other by its label.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import LedgerEntry, SinkProject

KINDS: list[str] = ["approval", "buffer", "cancellation", "loss_resolved"]


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: str
    seq: int | None = None
    body: dict[str, Any] = field(default_factory=dict)


Source = Callable[[Session, SinkProject], list[TimelineItem]]
_SOURCES: list[Source] = []


def register_source(source: Source) -> None:
    if source not in _SOURCES:
        _SOURCES.append(source)


def _ledger_items(session: Session, project: SinkProject) -> list[TimelineItem]:
    entries = session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.project_id == project.id, LedgerEntry.kind.in_(KINDS))
        .order_by(LedgerEntry.seq)
    )
    return [TimelineItem(e.created_at, e.kind, e.seq, json.loads(e.body)) for e in entries]


def project_timeline(session: Session, project: SinkProject) -> list[TimelineItem]:
    """Newest first."""
    items = _ledger_items(session, project)
    for source in _SOURCES:
        items.extend(source(session, project))
    return sorted(items, key=lambda i: (i.at, i.seq or 0), reverse=True)
