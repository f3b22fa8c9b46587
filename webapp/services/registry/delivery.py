"""Projected → delivered (交付): verified tonnes settle what was sold ex-ante.

When a verification is approved (``monitoring.approve_verification``), its delivered
issuance first settles the project's projected retirements, oldest retirement first
(``retired_at``, then id). Each settled retirement gets delivered serials of exactly its
projected kilograms, held by a new *delivery allocation* (retired, for the same holder
and purpose as shown publicly) that names the projected allocation it settles
(``settles_allocation_id``); one ``delivery`` ledger entry links the projected serials
and the delivered serials. The projected retirement, its serials and its certificate stay
as they were: the certificate stays valid and shows its delivery.

Serials come from the new issuance first, then from other delivered stock of the same
project that is unsold (approved or on sale, oldest vintage first). A retirement that
cannot be settled whole stays projected and counts as *shortfall* (docs/METHODOLOGY.md,
"Projected tonnes and their delivery"); settlement stops there, so the order is kept.

Holders are told after the commit (:class:`webapp.services.messages.DeliveryMade`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.models import (
    Allocation,
    AllocationState,
    Certificate,
    Delivery,
    Issuance,
    IssuanceStatus,
    MonitoringPeriod,
    MonitoringStatus,
    Purpose,
    RangeState,
    SerialRange,
    SinkProject,
)
from webapp.models.base import utcnow
from webapp.models.registry import LedgerHead
from webapp.services.messages import CertificateChanged, DeliveryMade
from webapp.services.registry import ledger
from webapp.services.registry.allocation import _free_runs as free_runs  # one allocator
from webapp.services.registry.allocation import held_ranges
from webapp.unit_of_work import after_commit

DELIVERY_KIND = "delivery"


@dataclass
class Settlement:
    settled: list[Allocation] = field(default_factory=list)  # the delivery allocations
    settled_kg: int = 0
    from_stock_kg: int = 0  # delivered serials taken from other stock of the project
    unsettled_kg: int = 0  # projected kg left unsettled (shortfall)


def projected_kg(allocation: Allocation) -> int:
    """The kilograms of projected serials the allocation holds (retired)."""
    return sum(
        r.quantity_kg for r in held_ranges(allocation) if r.issuance.delivery is Delivery.PROJECTED
    )


def _unsettled(session: Session, project: SinkProject) -> list[Allocation]:
    settled = select(Allocation.settles_allocation_id).where(
        Allocation.settles_allocation_id.is_not(None)
    )
    candidates = session.scalars(
        select(Allocation)
        .join(SerialRange, SerialRange.allocation_id == Allocation.id)
        .join(Issuance, Issuance.id == SerialRange.issuance_id)
        .where(
            Allocation.project_id == project.id,
            Allocation.state == AllocationState.RETIRED,
            Allocation.settles_allocation_id.is_(None),
            Allocation.id.not_in(settled),
            SerialRange.state == RangeState.RETIRED,
            Issuance.delivery == Delivery.PROJECTED,
        )
        .order_by(Allocation.retired_at, Allocation.id)
        .with_for_update(of=Allocation)
    ).unique()
    seen: set[int] = set()
    out = []
    for a in candidates:
        if a.id not in seen:
            seen.add(a.id)
            out.append(a)
    return out


def _stock(session: Session, project: SinkProject, first: Issuance) -> list[Issuance]:
    others = session.scalars(
        select(Issuance)
        .where(
            Issuance.project_id == project.id,
            Issuance.delivery == Delivery.VERIFIED,
            Issuance.status.in_([IssuanceStatus.APPROVED, IssuanceStatus.ON_SALE]),
            Issuance.id != first.id,
        )
        .order_by(Issuance.vintage, Issuance.id)
        .with_for_update()
    ).all()
    return [first, *others]


def settle(
    session: Session,
    head: LedgerHead,
    period: MonitoringPeriod,
    issuance: Issuance,
    *,
    now: datetime | None = None,
) -> Settlement:
    """Settle the project's projected retirements from ``issuance`` (then other stock).

    ``head`` must have been taken with :func:`ledger.lock_head` (every registry write is
    serialised by it, so nothing is reserved meanwhile)."""
    now = now or utcnow()
    project = period.project
    result = Settlement()
    stock = _stock(session, project, issuance)
    for projected in _unsettled(session, project):
        wanted = projected_kg(projected)
        if wanted == 0:
            continue
        if sum(i.available_kg for i in stock) < wanted:
            result.unsettled_kg = sum(projected_kg(a) for a in _unsettled(session, project))
            break
        _deliver(session, head, period, projected, stock, wanted, result, now=now)
    return result


def _deliver(
    session: Session,
    head: LedgerHead,
    period: MonitoringPeriod,
    projected: Allocation,
    stock: list[Issuance],
    wanted: int,
    result: Settlement,
    *,
    now: datetime,
) -> Allocation:
    delivered = Allocation(
        project_id=projected.project_id,
        quantity_kg=wanted,
        holder_ref=f"delivery:{projected.id}",
        state=AllocationState.RETIRED,
        beneficiary_name=projected.beneficiary_name,
        beneficiary_public=projected.beneficiary_public,
        privacy=projected.privacy,
        purpose=projected.purpose,
        purpose_detail=projected.purpose_detail,
        case_number=projected.case_number,
        court=projected.court,
        created_at=now,
        retired_at=now,
        settles_allocation_id=projected.id,
    )
    session.add(delivered)
    session.flush()
    remaining = wanted
    for i, issuance in enumerate(stock):
        take = min(issuance.available_kg, remaining)
        if take <= 0:
            continue
        for first, last in free_runs(session, issuance, take):
            session.add(
                SerialRange(
                    issuance_id=issuance.id,
                    allocation_id=delivered.id,
                    first=first,
                    last=last,
                    state=RangeState.RETIRED,
                )
            )
        issuance.retired_kg += take
        if i > 0:
            result.from_stock_kg += take
        remaining -= take
        if remaining == 0:
            break
    session.flush()
    session.refresh(delivered, attribute_names=["ranges"])
    body = {
        "allocation": delivered.id,
        "project": projected.project.code,
        "quantity_kg": wanted,
        "ranges": _ranges(delivered.ranges),
        "beneficiary": delivered.beneficiary_public,
        "purpose": delivered.purpose.value if delivered.purpose else None,
        "purpose_detail": delivered.purpose_detail,
        "settles": projected.id,
        "settles_retirement": projected.retirement_entry_seq,
        "projected_ranges": _ranges(
            [r for r in held_ranges(projected) if r.issuance.delivery is Delivery.PROJECTED]
        ),
        "monitoring_period": period.id,
    }
    if delivered.purpose is Purpose.JUDICIAL_RESTORATION:
        body["case_number"] = delivered.case_number
        body["court"] = delivered.court
    entry = ledger.append(
        session,
        head,
        DELIVERY_KIND,
        body,
        project_id=delivered.project_id,
        allocation_id=delivered.id,
        now=now,
    )
    delivered.retirement_entry_seq = entry.seq
    result.settled.append(delivered)
    result.settled_kg += wanted
    after_commit(session, DeliveryMade(allocation_id=delivered.id))
    # The verify pages of the settled retirement's certificates now show the delivery.
    for public_id in session.scalars(
        select(Certificate.public_id).where(Certificate.allocation_id == projected.id)
    ):
        after_commit(session, CertificateChanged(public_id))
    return delivered


def _ranges(ranges: list[SerialRange]) -> list[dict[str, int]]:
    return [
        {"issuance": r.issuance_id, "first": r.first, "last": r.last}
        for r in sorted(ranges, key=lambda r: r.first)
    ]


# --- read side ------------------------------------------------------------------------


def delivery_of(session: Session, allocation_id: int) -> Allocation | None:
    """The delivery allocation that settled a projected allocation, if any."""
    return session.scalar(
        select(Allocation).where(Allocation.settles_allocation_id == allocation_id)
    )


def deliveries_for(session: Session, allocation_ids: list[int]) -> dict[int, Allocation]:
    """Projected allocation id -> the delivery allocation that settled it."""
    if not allocation_ids:
        return {}
    return {
        a.settles_allocation_id: a
        for a in session.scalars(
            select(Allocation).where(
                Allocation.settles_allocation_id.in_(allocation_ids),
                Allocation.state == AllocationState.RETIRED,
            )
        )
    }


@dataclass(frozen=True)
class DeliveryFigures:
    projected_sold_kg: int = 0  # projected serials retired (held) now
    delivered_kg: int = 0  # of which settled by delivered serials
    awaiting_kg: int = 0  # sold ex-ante, not yet settled
    shortfall_kg: int = 0  # unsettled although retired before the latest verification
    last_verified_at: datetime | None = None

    def to_dict(self) -> dict[str, int]:
        return {
            "projected_sold_kg": self.projected_sold_kg,
            "delivered_kg": self.delivered_kg,
            "awaiting_delivery_kg": self.awaiting_kg,
            "shortfall_kg": self.shortfall_kg,
        }


def figures(session: Session, project: SinkProject) -> DeliveryFigures:
    """Projected sold, delivered, awaiting and shortfall kg of one project (public)."""
    per_allocation = dict(
        session.execute(
            select(SerialRange.allocation_id, func.sum(SerialRange.last - SerialRange.first + 1))
            .join(Issuance, Issuance.id == SerialRange.issuance_id)
            .join(Allocation, Allocation.id == SerialRange.allocation_id)
            .where(
                Issuance.project_id == project.id,
                Issuance.delivery == Delivery.PROJECTED,
                SerialRange.state == RangeState.RETIRED,
                Allocation.state == AllocationState.RETIRED,
            )
            .group_by(SerialRange.allocation_id)
        ).all()
    )
    sold = sum(int(v) for v in per_allocation.values())
    settled_ids = set(
        session.scalars(
            select(Allocation.settles_allocation_id).where(
                Allocation.project_id == project.id,
                Allocation.settles_allocation_id.is_not(None),
                Allocation.state == AllocationState.RETIRED,
            )
        )
    )
    delivered = sum(int(v) for k, v in per_allocation.items() if k in settled_ids)
    last = session.scalar(
        select(func.max(MonitoringPeriod.approved_at)).where(
            MonitoringPeriod.project_id == project.id,
            MonitoringPeriod.status == MonitoringStatus.VERIFIED,
        )
    )
    shortfall = 0
    if last is not None:
        unsettled = [k for k in per_allocation if k not in settled_ids]
        if unsettled:
            retired_before = set(
                session.scalars(
                    select(Allocation.id).where(
                        Allocation.id.in_(unsettled), Allocation.retired_at <= last
                    )
                )
            )
            shortfall = sum(int(per_allocation[k]) for k in retired_before)
    return DeliveryFigures(sold, delivered, sold - delivered, shortfall, last)
