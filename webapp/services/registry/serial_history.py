"""What happened to a retirement's serials before and after it (issue 21 part 9).

* :func:`reversals_of` — the ``reversal`` entries (refunds, 冲正) of an allocation and the
  serials each returned: a refunded certificate's verify page names them.
* :func:`earlier_reversals` — serials an allocation holds that were retired before for
  someone else and returned by a refund (then sold again): the verify page points to
  that earlier reversal entry, so two certificates never seem to claim the same tonnes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Allocation, LedgerEntry, RangeState, SerialRange
from webapp.services.registry.serials import format_range

MAX_NOTES = 20


@dataclass(frozen=True)
class ReversalNote:
    seq: int  # the ``reversal`` ledger entry
    quantity_kg: int
    serials: tuple[str, ...]


def _note(entry: LedgerEntry, vintages: dict[int, int], code: str) -> ReversalNote:
    body = json.loads(entry.body)
    serials = tuple(
        format_range(code, vintages.get(r["issuance"], 0), r["first"], r["last"])
        for r in body.get("ranges", [])
    )
    return ReversalNote(entry.seq, int(body.get("quantity_kg", 0)), serials)


def _vintages(allocation: Allocation) -> dict[int, int]:
    return {r.issuance_id: r.issuance.vintage for r in allocation.ranges}


def reversals_of(session: Session, allocation: Allocation) -> tuple[ReversalNote, ...]:
    entries = session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.allocation_id == allocation.id, LedgerEntry.kind == "reversal")
        .order_by(LedgerEntry.seq)
        .limit(MAX_NOTES)
    ).all()
    vintages = _vintages(allocation)
    return tuple(_note(e, vintages, allocation.project.code) for e in entries)


def earlier_reversals(session: Session, allocation: Allocation) -> tuple[ReversalNote, ...]:
    """Reversal entries of other, earlier allocations that returned serials this one holds."""
    others: set[int] = set()
    for r in allocation.current_ranges:
        others.update(
            session.scalars(
                select(SerialRange.allocation_id)
                .join(Allocation, Allocation.id == SerialRange.allocation_id)
                .where(
                    SerialRange.issuance_id == r.issuance_id,
                    SerialRange.state == RangeState.RETURNED,
                    SerialRange.first <= r.last,
                    SerialRange.last >= r.first,
                    SerialRange.allocation_id != allocation.id,
                    Allocation.retirement_entry_seq.is_not(None),
                    Allocation.id < allocation.id,
                )
                .limit(MAX_NOTES)
            )
        )
    if not others:
        return ()
    held = [(r.issuance_id, r.first, r.last) for r in allocation.current_ranges]
    notes = []
    vintages = _vintages(allocation)
    for entry in session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.allocation_id.in_(others), LedgerEntry.kind == "reversal")
        .order_by(LedgerEntry.seq)
        .limit(MAX_NOTES)
    ):
        ranges = json.loads(entry.body).get("ranges", [])
        if any(
            i == r["issuance"] and f <= r["last"] and last >= r["first"]
            for r in ranges
            for i, f, last in held
        ):
            notes.append(_note(entry, vintages, allocation.project.code))
    return tuple(notes)
