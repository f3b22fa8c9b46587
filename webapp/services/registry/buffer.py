"""The buffer pool (缓冲池): a share of every delivered issuance withheld, never for sale.

When a delivered (verified) issuance is approved, ``percent_for(project)`` of its serials
(rounded up to whole kg) move into one buffer allocation of that issuance
(``holder_ref = "buffer:<issuance id>"``, state ``buffer``); the issuance's
``buffer_held_kg`` grows by the same kg and a ``buffer`` ledger entry names the serials.
Buffer serials are the highest of the block, so sales (lowest serials first) never reach
them. A confirmed loss (services/registry/losses.py) cancels buffer serials: they move
from ``buffer_held_kg`` to ``buffer_used_kg``.

Issuances approved before the buffer existed get theirs through migration
0017_buffer_losses (:func:`backfill`): from unsold stock, as much as there is; the entry
records the shortfall. docs/METHODOLOGY.md, "Buffer pool", gives the shares and sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.models import (
    Allocation,
    AllocationState,
    Delivery,
    Issuance,
    IssuanceStatus,
    LedgerHead,
    RangeState,
    RiskRating,
    SerialRange,
    SinkProject,
)
from webapp.models.base import utcnow
from webapp.services.registry import ledger

# Share of each delivered issuance withheld, by the project's non-permanence risk rating.
BUFFER_PERCENT: dict[RiskRating, int] = {
    RiskRating.LOW: 10,
    RiskRating.MEDIUM: 20,  # the default; Plan Vivo's 20 %
    RiskRating.HIGH: 30,
    RiskRating.EXTERNAL: 0,  # buffered by the issuing programme
}
DEFAULT_RATING = RiskRating.MEDIUM


def percent_for(project: SinkProject) -> int:
    return BUFFER_PERCENT[project.risk_rating or DEFAULT_RATING]


def share_kg(quantity_kg: int, percent: int) -> int:
    """The buffer of ``quantity_kg`` at ``percent``, rounded up to whole kg."""
    return -(-quantity_kg * percent // 100)


def holder_ref(issuance: Issuance) -> str:
    return f"buffer:{issuance.id}"


def _top_free_runs(session: Session, issuance: Issuance, wanted: int) -> list[tuple[int, int]]:
    """The highest free serials of an issuance, as runs (lowest first), adding up to
    ``wanted`` or to all that is free."""
    taken = session.execute(
        select(SerialRange.first, SerialRange.last)
        .where(SerialRange.issuance_id == issuance.id, SerialRange.state != RangeState.RETURNED)
        .order_by(SerialRange.last.desc())
    ).all()
    runs: list[tuple[int, int]] = []
    cursor = issuance.serial_last
    for first, last in [*taken, (issuance.serial_first - 1, issuance.serial_first - 1)]:
        if wanted == 0:
            break
        if last < cursor:
            take = min(cursor - last, wanted)
            runs.append((cursor - take + 1, cursor))
            wanted -= take
        cursor = min(cursor, first - 1)
    return sorted(runs)


def find(session: Session, issuance: Issuance) -> Allocation | None:
    return session.scalar(select(Allocation).where(Allocation.holder_ref == holder_ref(issuance)))


def withhold(
    session: Session,
    head: LedgerHead,
    issuance: Issuance,
    *,
    now: datetime | None = None,
    reason: str = "issuance",
) -> Allocation | None:
    """Withhold the buffer of a delivered issuance (``head`` locked by the caller).

    Takes what is unsold up to the share (all of it at approval; for older issuances the
    migration may find less) and records the shortfall. Idempotent once withheld.
    """
    if issuance.delivery is not Delivery.VERIFIED or issuance.status is IssuanceStatus.DRAFT:
        return None
    existing = find(session, issuance)
    if existing is not None:
        return existing
    now = now or utcnow()
    project = issuance.project
    percent = percent_for(project)
    wanted = share_kg(issuance.quantity_kg, percent)
    if wanted == 0:
        return None
    take = max(0, min(wanted, issuance.available_kg))
    allocation = None
    runs: list[tuple[int, int]] = []
    if take > 0:
        runs = _top_free_runs(session, issuance, take)
        take = sum(last - first + 1 for first, last in runs)
    if take > 0:
        allocation = Allocation(
            project_id=project.id,
            quantity_kg=take,
            holder_ref=holder_ref(issuance),
            state=AllocationState.BUFFER,
            created_at=now,
        )
        session.add(allocation)
        session.flush()
        for first, last in runs:
            session.add(
                SerialRange(
                    issuance_id=issuance.id,
                    allocation_id=allocation.id,
                    first=first,
                    last=last,
                    state=RangeState.BUFFER,
                )
            )
        issuance.buffer_held_kg += take
        session.flush()
    ledger.append(
        session,
        head,
        "buffer",
        {
            "issuance": issuance.id,
            "project": project.code,
            "allocation": allocation.id if allocation is not None else None,
            "risk_rating": (project.risk_rating or DEFAULT_RATING).value,
            "percent": percent,
            "wanted_kg": wanted,
            "quantity_kg": take,
            "shortfall_kg": wanted - take,
            "ranges": [{"issuance": issuance.id, "first": f, "last": la} for f, la in runs],
            "reason": reason,
        },
        project_id=project.id,
        now=now,
    )
    return allocation


def backfill(session: Session, *, now: datetime | None = None) -> list[Issuance]:
    """Give every approved delivered issuance without a buffer its buffer, from unsold
    stock (migration 0017_buffer_losses). Returns the issuances it looked at."""
    head = ledger.lock_head(session)
    issuances = list(
        session.scalars(
            select(Issuance)
            .where(Issuance.delivery == Delivery.VERIFIED, Issuance.status != IssuanceStatus.DRAFT)
            .order_by(Issuance.id)
            .with_for_update()
        )
    )
    for issuance in issuances:
        withhold(session, head, issuance, now=now, reason="migration")
    return issuances


@dataclass(frozen=True)
class BufferRow:
    """One project's buffer pool, for the public register and the API."""

    project_code: str
    project_name_zh: str
    project_name_en: str
    risk_rating: str
    percent: int
    withheld_kg: int
    used_kg: int
    held_kg: int

    def to_dict(self) -> dict[str, object]:
        return {
            "project": self.project_code,
            "name_zh": self.project_name_zh,
            "name_en": self.project_name_en,
            "risk_rating": self.risk_rating,
            "buffer_percent": self.percent,
            "withheld_kg": self.withheld_kg,
            "used_kg": self.used_kg,
            "held_kg": self.held_kg,
        }


def pool(session: Session, projects: list[SinkProject]) -> list[BufferRow]:
    """Per project: withheld (held + used), used by losses, held now."""
    sums = {
        pid: (int(held or 0), int(used or 0))
        for pid, held, used in session.execute(
            select(
                Issuance.project_id,
                func.sum(Issuance.buffer_held_kg),
                func.sum(Issuance.buffer_used_kg),
            ).group_by(Issuance.project_id)
        )
    }
    rows = []
    for p in projects:
        held, used = sums.get(p.id, (0, 0))
        rows.append(
            BufferRow(
                project_code=p.code,
                project_name_zh=p.name_zh,
                project_name_en=p.name_en,
                risk_rating=(p.risk_rating or DEFAULT_RATING).value,
                percent=percent_for(p),
                withheld_kg=held + used,
                used_kg=used,
                held_kg=held,
            )
        )
    return rows
