"""Read side of the registry: counters, the retirement register, serial look-ups, exports.

Public output uses only public fields: a beneficiary appears as ``beneficiary_public``
(None when the holder chose anonymity), never ``beneficiary_name``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from webapp.models import (
    Allocation,
    AllocationState,
    Delivery,
    Issuance,
    IssuanceStatus,
    LedgerEntry,
    ProjectStatus,
    RangeState,
    SerialRange,
    SinkProject,
)
from webapp.services.registry.serials import format_range, parse_serial_query


@dataclass(frozen=True)
class Counters:
    """A project's stock, in kg. ``issued = available + reserved + retired + buffer_held +
    buffer_used + cancelled`` always (the issuances' CHECK ``stock_adds_up``): available is
    every unsold kg of an issued (approved) issuance, on sale or not."""

    issued_kg: int = 0
    reserved_kg: int = 0
    retired_kg: int = 0
    available_kg: int = 0
    # --- buffer pool and losses (issue 18) ---
    buffer_held_kg: int = 0
    buffer_used_kg: int = 0
    cancelled_kg: int = 0

    def to_dict(self) -> dict[str, int]:
        return {
            "issued_kg": self.issued_kg,
            "reserved_kg": self.reserved_kg,
            "retired_kg": self.retired_kg,
            "available_kg": self.available_kg,
            # --- buffer pool and losses (issue 18) ---
            "buffer_held_kg": self.buffer_held_kg,
            "buffer_used_kg": self.buffer_used_kg,
            "cancelled_kg": self.cancelled_kg,
        }


_COUNTER_FIELDS = (
    "issued_kg",
    "reserved_kg",
    "retired_kg",
    "available_kg",
    "buffer_held_kg",
    "buffer_used_kg",
    "cancelled_kg",
)


def project_counters(session: Session, project_ids: list[int] | None = None) -> dict[int, Counters]:
    """Issued counts approved issuances (drafts are not issued)."""
    quantity = Issuance.serial_last - Issuance.serial_first + 1
    stmt = (
        select(
            Issuance.project_id,
            func.sum(quantity),
            func.sum(Issuance.reserved_kg),
            func.sum(Issuance.retired_kg),
            func.sum(
                quantity
                - Issuance.reserved_kg
                - Issuance.retired_kg
                - Issuance.buffer_held_kg
                - Issuance.buffer_used_kg
                - Issuance.cancelled_kg
            ),
            func.sum(Issuance.buffer_held_kg),
            func.sum(Issuance.buffer_used_kg),
            func.sum(Issuance.cancelled_kg),
        )
        .where(Issuance.status != IssuanceStatus.DRAFT)
        .group_by(Issuance.project_id)
    )
    if project_ids is not None:
        stmt = stmt.where(Issuance.project_id.in_(project_ids))
    return {
        pid: Counters(**{k: int(v or 0) for k, v in zip(_COUNTER_FIELDS, values, strict=True)})
        for pid, *values in session.execute(stmt)
    }


def totals(counters: dict[int, Counters]) -> Counters:
    return Counters(**{k: sum(getattr(c, k) for c in counters.values()) for k in _COUNTER_FIELDS})


def public_projects(session: Session) -> list[SinkProject]:
    return list(
        session.scalars(
            select(SinkProject)
            .where(SinkProject.status != ProjectStatus.DRAFT)
            .order_by(SinkProject.code)
        )
    )


def projects_with_projected(session: Session) -> set[int]:
    """Projects selling ex-ante (projected) tonnes: their pages must say so."""
    return set(
        session.scalars(
            select(Issuance.project_id).where(
                Issuance.delivery == Delivery.PROJECTED, Issuance.status != IssuanceStatus.DRAFT
            )
        )
    )


def project_by_code(session: Session, code: str) -> SinkProject | None:
    return session.scalar(select(SinkProject).where(SinkProject.code == code.upper()))


def project_issuances(session: Session, project: SinkProject) -> list[Issuance]:
    return list(
        session.scalars(
            select(Issuance)
            .where(Issuance.project_id == project.id, Issuance.status != IssuanceStatus.DRAFT)
            .order_by(Issuance.vintage, Issuance.id)
        )
    )


@dataclass(frozen=True)
class RetirementRow:
    seq: int
    allocation_id: int
    retired_at: datetime
    project_code: str
    project_name_zh: str
    project_name_en: str
    quantity_kg: int
    serials: tuple[str, ...]
    beneficiary: str | None
    purpose: str
    purpose_detail: str | None
    delivery: str

    def to_dict(self) -> dict[str, object]:
        return {
            "entry": self.seq,
            "retired_at": self.retired_at.isoformat(),
            "project": self.project_code,
            "quantity_kg": self.quantity_kg,
            "serials": list(self.serials),
            "beneficiary": self.beneficiary,
            "purpose": self.purpose,
            "purpose_detail": self.purpose_detail,
            "delivery": self.delivery,
        }


def _rows(session: Session, allocations: list[Allocation]) -> list[RetirementRow]:
    rows = []
    for a in allocations:
        ranges = sorted(a.current_ranges, key=lambda r: r.first)
        serials = tuple(
            format_range(a.project.code, r.issuance.vintage, r.first, r.last) for r in ranges
        )
        delivery = (
            "projected"
            if any(r.issuance.delivery.value == "projected" for r in ranges)
            else "verified"
        )
        rows.append(
            RetirementRow(
                seq=a.retirement_entry_seq or 0,
                allocation_id=a.id,
                retired_at=a.retired_at,
                project_code=a.project.code,
                project_name_zh=a.project.name_zh,
                project_name_en=a.project.name_en,
                quantity_kg=a.quantity_kg,
                serials=serials,
                beneficiary=a.beneficiary_public,
                purpose=a.purpose.value if a.purpose else "other",
                purpose_detail=a.purpose_detail,
                delivery=delivery,
            )
        )
    return rows


def _retired_query(*, deliveries: bool = False):
    """Retired allocations. Delivery allocations (issue 18: delivered serials settling a
    projected retirement) are left out of the register unless ``deliveries``: the claim is
    the original retirement's, listed once."""
    stmt = select(Allocation).where(Allocation.state == AllocationState.RETIRED)
    if not deliveries:
        stmt = stmt.where(Allocation.settles_allocation_id.is_(None))
    return stmt.options(
        joinedload(Allocation.project),
        joinedload(Allocation.ranges).joinedload(SerialRange.issuance),
    )


def search_retirements(
    session: Session,
    *,
    query: str = "",
    project: SinkProject | None = None,
    before_seq: int | None = None,
    limit: int = 50,
) -> list[RetirementRow]:
    """Newest first, keyset-paginated by ledger entry number (fast at any register size)."""
    stmt = _retired_query()
    if project is not None:
        stmt = stmt.where(Allocation.project_id == project.id)
    if before_seq is not None:
        stmt = stmt.where(Allocation.retirement_entry_seq < before_seq)
    query = query.strip()
    if query:
        serial = parse_serial_query(query)
        if serial is not None:
            ids = _allocations_holding(session, *serial, RangeState.RETIRED)
            # A delivered serial (issue 18) finds the retirement it settled.
            ids += session.scalars(
                select(Allocation.settles_allocation_id).where(
                    Allocation.id.in_(ids), Allocation.settles_allocation_id.is_not(None)
                )
            ).all()
            stmt = stmt.where(Allocation.id.in_(ids))
        else:
            # Prefix match: served by the pattern index at any register size (names start
            # with the family name); anonymous retirements have no public name to match.
            stmt = stmt.where(
                Allocation.beneficiary_public.like(f"{_escape_like(query)}%", escape="\\")
            )
    stmt = stmt.order_by(Allocation.retirement_entry_seq.desc()).limit(limit)
    return _rows(session, list(session.scalars(stmt).unique()))


def _allocations_holding(session: Session, first: int, last: int, state: RangeState) -> list[int]:
    """Allocations whose ranges in ``state`` overlap [first, last].

    Active ranges never overlap each other, so the candidates are those starting inside
    [first, last] plus the last active one starting before ``first``: two index scans.
    """
    ids = list(
        session.scalars(
            select(SerialRange.allocation_id)
            .where(
                SerialRange.first >= first, SerialRange.first <= last, SerialRange.state == state
            )
            .limit(1000)
        )
    )
    before = session.execute(
        select(SerialRange.allocation_id, SerialRange.last, SerialRange.state)
        .where(SerialRange.first < first, SerialRange.state != RangeState.RETURNED)
        .order_by(SerialRange.first.desc())
        .limit(1)
    ).first()
    if before is not None and before.last >= first and before.state is state:
        ids.append(before.allocation_id)
    return ids


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def iter_retirements(session: Session, batch: int = 2000) -> Iterator[RetirementRow]:
    """All retirements, oldest first, in batches (for CSV export)."""
    last = -1
    while True:
        stmt = (
            _retired_query()
            .where(Allocation.retirement_entry_seq > last)
            .order_by(Allocation.retirement_entry_seq)
            .limit(batch)
        )
        rows = _rows(session, list(session.scalars(stmt).unique()))
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


@dataclass(frozen=True)
class SerialInfo:
    serial: int
    project_code: str
    vintage: int
    issuance_id: int
    delivery: str
    state: str  # available | reserved | retired | not_for_sale
    retirement: RetirementRow | None


def serial_info(session: Session, serial: int) -> SerialInfo | None:
    issuance = session.scalar(
        select(Issuance)
        .options(joinedload(Issuance.project))
        .where(
            Issuance.serial_first <= serial,
            Issuance.serial_last >= serial,
            Issuance.status != IssuanceStatus.DRAFT,
        )
    )
    if issuance is None:
        return None
    # Active ranges never overlap: the nearest one starting at or before the serial is the
    # only candidate (one backwards index scan).
    held = session.scalar(
        select(SerialRange)
        .where(SerialRange.first <= serial, SerialRange.state != RangeState.RETURNED)
        .order_by(SerialRange.first.desc())
        .limit(1)
    )
    if held is not None and held.last < serial:
        held = None
    retirement = None
    if held is None:
        state = "available" if issuance.status is IssuanceStatus.ON_SALE else "not_for_sale"
    elif held.state is RangeState.RESERVED:
        state = "reserved"
    else:
        state = "retired"
        alloc = (
            session.scalars(
                _retired_query(deliveries=True).where(Allocation.id == held.allocation_id)
            )
            .unique()
            .one()
        )
        if alloc.settles_allocation_id is not None:  # a delivered serial: whose claim it is
            settled = session.scalars(
                _retired_query().where(Allocation.id == alloc.settles_allocation_id)
            ).unique()
            alloc = settled.one_or_none() or alloc
        retirement = _rows(session, [alloc])[0]
    return SerialInfo(
        serial,
        issuance.project.code,
        issuance.vintage,
        issuance.id,
        issuance.delivery.value,
        state,
        retirement,
    )


def ledger_counters(session: Session) -> dict[int, tuple[int, int]]:
    """Replay the ledger: (reserved_kg, retired_kg) per issuance, as the ledger says."""
    state: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    moves = {
        "reservation": (1, 0),
        "retirement": (-1, 1),
        "release": (-1, 0),
        "reversal": (0, -1),
        "delivery": (0, 1),  # issue 18: delivered serials retired for a projected sale
    }
    last = -1
    while True:
        rows = session.execute(
            select(LedgerEntry.seq, LedgerEntry.kind, LedgerEntry.body)
            .where(LedgerEntry.seq > last, LedgerEntry.kind.in_(moves))
            .order_by(LedgerEntry.seq)
            .limit(5000)
        ).all()
        if not rows:
            break
        for seq, kind, body in rows:
            d_res, d_ret = moves[kind]
            for r in json.loads(body)["ranges"]:
                qty = r["last"] - r["first"] + 1
                state[r["issuance"]][0] += d_res * qty
                state[r["issuance"]][1] += d_ret * qty
            last = seq
    return {k: (v[0], v[1]) for k, v in state.items()}


def counter_mismatches(session: Session) -> list[str]:
    """Issuance counters, active serial ranges and the ledger must all agree."""
    problems = []
    from_ledger = ledger_counters(session)
    held = defaultdict(lambda: [0, 0])
    for iid, st, qty in session.execute(
        select(
            SerialRange.issuance_id,
            SerialRange.state,
            func.sum(SerialRange.last - SerialRange.first + 1),
        )
        .where(SerialRange.state.in_((RangeState.RESERVED, RangeState.RETIRED)))
        .group_by(SerialRange.issuance_id, SerialRange.state)
    ):
        held[iid][0 if st is RangeState.RESERVED else 1] += int(qty)
    for issuance in session.scalars(select(Issuance).order_by(Issuance.id)):
        counters = (issuance.reserved_kg, issuance.retired_kg)
        ledger_says = from_ledger.get(issuance.id, (0, 0))
        ranges_say = tuple(held.get(issuance.id, [0, 0]))
        if not (counters == ledger_says == ranges_say):
            problems.append(
                f"issuance {issuance.id}: counters reserved/retired {counters}, "
                f"ledger {ledger_says}, serial ranges {ranges_say}"
            )
        if issuance.available_kg < 0:
            problems.append(f"issuance {issuance.id} is oversold")
    return problems
