"""Reservation → retirement (注销) of serial ranges, and their return (expiry, release, reversal).

Every operation first takes the ledger head lock, then the rows it changes, inside the
caller's transaction: allocations are serialised, so reserved + retired never exceeds what
was issued, whatever the concurrency. The database enforces the same (CHECK constraints,
non-overlapping active ranges) in case code ever gets it wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.errors import Conflict, DomainError
from webapp.models import (
    Allocation,
    AllocationState,
    Issuance,
    IssuanceStatus,
    Privacy,
    Purpose,
    RangeState,
    SerialRange,
    SinkProject,
    User,
)
from webapp.models.base import utcnow
from webapp.services import audit, text_policy
from webapp.services.registry import ledger, sales_stop
from webapp.services.registry.privacy import display_name
from webapp.services.registry.states import allocation_transition

MAX_ALLOCATION_KG = 10**9


@dataclass(frozen=True)
class Beneficiary:
    name: str
    privacy: Privacy
    purpose: Purpose
    purpose_detail: str = ""
    case_number: str = ""
    court: str = ""


def check_beneficiary(b: Beneficiary) -> None:
    # The text policy for everything published in the register and the ledger: whatever
    # form, CSV or API it came through.
    for text in (b.name, b.purpose_detail, b.case_number, b.court):
        why = text_policy.problem(text_policy.normalise(text or ""))
        if why is not None:
            raise DomainError(why)
    if not b.name.strip() or len(b.name.strip()) > 120:
        raise DomainError(_l("Please give the beneficiary's name (at most 120 characters)."))
    if b.purpose is Purpose.JUDICIAL_RESTORATION and not (
        b.case_number.strip() and b.court.strip()
    ):
        raise DomainError(_l("Judicial restoration needs the case number and the court."))


def _ranges_body(allocation: Allocation) -> list[dict[str, int]]:
    return _body_of(allocation.ranges)


def _free_runs(session: Session, issuance: Issuance, wanted: int) -> list[tuple[int, int]]:
    """The lowest free serials of an issuance, as runs, adding up to ``wanted``."""
    taken = session.execute(
        select(SerialRange.first, SerialRange.last)
        .where(SerialRange.issuance_id == issuance.id, SerialRange.state != RangeState.RETURNED)
        .order_by(SerialRange.first)
    ).all()
    runs: list[tuple[int, int]] = []
    cursor = issuance.serial_first
    for first, last in [*taken, (issuance.serial_last + 1, issuance.serial_last + 1)]:
        if wanted == 0:
            break
        if first > cursor:
            take = min(first - cursor, wanted)
            runs.append((cursor, cursor + take - 1))
            wanted -= take
        cursor = max(cursor, last + 1)
    if wanted:
        # Counters said there was room but the ranges disagree: refuse rather than oversell.
        raise Conflict(_l("The registry is inconsistent for this issuance; nothing was reserved."))
    return runs


def free_runs(session: Session, issuance: Issuance, wanted: int) -> list[tuple[int, int]]:
    """The lowest free serials of an issuance adding up to ``wanted`` (losses use it)."""
    return _free_runs(session, issuance, wanted)


def find_by_holder(session: Session, holder_ref: str) -> Allocation | None:
    return session.scalar(select(Allocation).where(Allocation.holder_ref == holder_ref))


def reserve(
    session: Session,
    project: SinkProject,
    quantity_kg: int,
    holder_ref: str,
    *,
    hold: timedelta,
    now: datetime | None = None,
) -> Allocation:
    """Hold ``quantity_kg`` of the project's on-sale serials, oldest vintage first.

    Idempotent per ``holder_ref``: asking again returns the same allocation.
    """
    if not 0 < quantity_kg <= MAX_ALLOCATION_KG:
        raise DomainError(_l("The quantity must be at least 1 kg."))
    now = now or utcnow()
    head = ledger.lock_head(session)
    existing = find_by_holder(session, holder_ref)
    if existing is not None:
        return existing
    # Losses (issue 18): no new reservation while a loss has stopped the project's sales.
    sales_stop.refuse_if_stopped(session, project.id)
    issuances = list(
        session.scalars(
            select(Issuance)
            .where(Issuance.project_id == project.id, Issuance.status == IssuanceStatus.ON_SALE)
            .order_by(Issuance.vintage, Issuance.id)
            .with_for_update()
        )
    )
    available = sum(i.available_kg for i in issuances)
    if quantity_kg > available:
        raise Conflict(
            _l(
                "Only %(available)s kg of this project are available now.",
                available=f"{available:,}",
            )
        )
    allocation = Allocation(
        project_id=project.id,
        quantity_kg=quantity_kg,
        holder_ref=holder_ref,
        state=AllocationState.RESERVED,
        expires_at=now + hold,
        created_at=now,
    )
    session.add(allocation)
    session.flush()
    remaining = quantity_kg
    for issuance in issuances:
        take = min(issuance.available_kg, remaining)
        if take <= 0:
            continue
        for first, last in _free_runs(session, issuance, take):
            session.add(
                SerialRange(
                    issuance_id=issuance.id,
                    allocation_id=allocation.id,
                    first=first,
                    last=last,
                    state=RangeState.RESERVED,
                )
            )
        issuance.reserved_kg += take
        remaining -= take
        if remaining == 0:
            break
    session.flush()
    session.refresh(allocation, attribute_names=["ranges"])
    ledger.append(
        session,
        head,
        "reservation",
        {
            "allocation": allocation.id,
            "project": project.code,
            "quantity_kg": quantity_kg,
            "ranges": _ranges_body(allocation),
            "expires_at": ledger.iso_utc(allocation.expires_at),
        },
        project_id=project.id,
        allocation_id=allocation.id,
        now=now,
    )
    return allocation


def _locked(session: Session, allocation: Allocation) -> Allocation:
    session.refresh(allocation, with_for_update=True)
    return allocation


def _move_counters(
    session: Session,
    allocation: Allocation,
    *,
    reserved: int,
    retired: int,
    range_state: RangeState,
) -> list[SerialRange]:
    """Move the allocation's held ranges to ``range_state`` and the counters with them.

    Ranges already returned (a partial reversal's sub-ranges) are left alone: they were
    counted back when they were returned. Returns the ranges that moved.
    """
    moved = held_ranges(allocation)
    _count(session, moved, reserved=reserved, retired=retired)
    for r in moved:
        r.state = range_state
    return moved


def _count(session: Session, ranges: list[SerialRange], *, reserved: int, retired: int) -> None:
    by_issuance: dict[int, int] = {}
    for r in ranges:
        by_issuance[r.issuance_id] = by_issuance.get(r.issuance_id, 0) + r.quantity_kg
    for issuance in session.scalars(
        select(Issuance).where(Issuance.id.in_(by_issuance)).order_by(Issuance.id).with_for_update()
    ):
        qty = by_issuance[issuance.id]
        issuance.reserved_kg += reserved * qty
        issuance.retired_kg += retired * qty


def held_ranges(allocation: Allocation) -> list[SerialRange]:
    """The ranges the allocation still holds (reserved or retired), lowest first."""
    return sorted(
        (r for r in allocation.ranges if r.state is not RangeState.RETURNED),
        key=lambda r: r.first,
    )


def _body_of(ranges: list[SerialRange]) -> list[dict[str, int]]:
    return [
        {"issuance": r.issuance_id, "first": r.first, "last": r.last}
        for r in sorted(ranges, key=lambda r: r.first)
    ]


def retire(
    session: Session,
    allocation: Allocation,
    beneficiary: Beneficiary,
    *,
    now: datetime | None = None,
) -> Allocation:
    """Turn a reservation into a retirement for a beneficiary. Idempotent once retired."""
    check_beneficiary(beneficiary)
    now = now or utcnow()
    head = ledger.lock_head(session)
    allocation = _locked(session, allocation)
    if allocation.state is AllocationState.RETIRED:
        return allocation
    allocation.state = allocation_transition(allocation.state, AllocationState.RETIRED)
    _move_counters(session, allocation, reserved=-1, retired=1, range_state=RangeState.RETIRED)
    allocation.beneficiary_name = beneficiary.name.strip()
    allocation.privacy = beneficiary.privacy
    allocation.beneficiary_public = display_name(allocation.beneficiary_name, beneficiary.privacy)
    allocation.purpose = beneficiary.purpose
    allocation.purpose_detail = beneficiary.purpose_detail.strip() or None
    allocation.case_number = beneficiary.case_number.strip() or None
    allocation.court = beneficiary.court.strip() or None
    allocation.retired_at = now
    allocation.expires_at = None
    body = {
        "allocation": allocation.id,
        "project": allocation.project.code,
        "quantity_kg": allocation.quantity_kg,
        "ranges": _ranges_body(allocation),
        "beneficiary": allocation.beneficiary_public,
        "purpose": beneficiary.purpose.value,
        "purpose_detail": allocation.purpose_detail,
    }
    if beneficiary.purpose is Purpose.JUDICIAL_RESTORATION:
        body["case_number"] = allocation.case_number
        body["court"] = allocation.court
    entry = ledger.append(
        session,
        head,
        "retirement",
        body,
        project_id=allocation.project_id,
        allocation_id=allocation.id,
        now=now,
    )
    allocation.retirement_entry_seq = entry.seq
    return allocation


def release(
    session: Session, allocation: Allocation, *, expired: bool, now: datetime | None = None
) -> Allocation:
    """Return a reservation's serials: it lapsed (expired) or its order was cancelled."""
    now = now or utcnow()
    head = ledger.lock_head(session)
    allocation = _locked(session, allocation)
    target = AllocationState.EXPIRED if expired else AllocationState.RELEASED
    if allocation.state is target:
        return allocation
    allocation.state = allocation_transition(allocation.state, target)
    _move_counters(session, allocation, reserved=-1, retired=0, range_state=RangeState.RETURNED)
    allocation.returned_at = now
    ledger.append(
        session,
        head,
        "release",
        {
            "allocation": allocation.id,
            "project": allocation.project.code,
            "quantity_kg": allocation.quantity_kg,
            "ranges": _ranges_body(allocation),
            "reason": "expired" if expired else "cancelled",
        },
        project_id=allocation.project_id,
        allocation_id=allocation.id,
        now=now,
    )
    return allocation


def expire_due(session: Session, *, now: datetime | None = None) -> list[Allocation]:
    """Release every reservation whose hold has lapsed."""
    now = now or utcnow()
    due = list(
        session.scalars(
            select(Allocation)
            .where(Allocation.state == AllocationState.RESERVED, Allocation.expires_at <= now)
            .order_by(Allocation.id)
        )
    )
    return [release(session, a, expired=True, now=now) for a in due]


def reverse(
    session: Session,
    allocation: Allocation,
    *,
    reason: str,
    actor: User | None,
    now: datetime | None = None,
) -> Allocation:
    """Refund after retirement: the serials return through a reversal entry (冲正).

    After partial reversals only the serials still held return; the entry names those.
    """
    now = now or utcnow()
    head = ledger.lock_head(session)
    allocation = _locked(session, allocation)
    if allocation.state is AllocationState.REVERSED:
        return allocation
    allocation.state = allocation_transition(allocation.state, AllocationState.REVERSED)
    moved = _move_counters(
        session, allocation, reserved=0, retired=-1, range_state=RangeState.RETURNED
    )
    allocation.returned_at = now
    ledger.append(
        session,
        head,
        "reversal",
        {
            "allocation": allocation.id,
            "project": allocation.project.code,
            "quantity_kg": sum(r.quantity_kg for r in moved),
            "ranges": _body_of(moved),
            "reason": reason[:200],
        },
        project_id=allocation.project_id,
        allocation_id=allocation.id,
        now=now,
    )
    audit.record(session, "registry.reversal", actor=actor, subject=allocation, reason=reason)
    # --- delivery (issue 18): a refunded projected retirement no longer needs the delivered
    # serials that settled it; they return too (their own ``reversal`` entry).
    settled_by = session.scalar(
        select(Allocation).where(
            Allocation.settles_allocation_id == allocation.id,
            Allocation.state == AllocationState.RETIRED,
        )
    )
    if settled_by is not None:
        reverse(session, settled_by, reason=reason, actor=actor, now=now)
    return allocation


def tail_runs(allocation: Allocation, quantity_kg: int) -> list[tuple[int, int, int]]:
    """The last ``quantity_kg`` serials the allocation holds, as (issuance, first, last)
    runs, lowest first: what a partial reversal of that many kg would return."""
    runs: list[tuple[int, int, int]] = []
    wanted = quantity_kg
    for r in reversed(held_ranges(allocation)):
        if wanted == 0:
            break
        take = min(wanted, r.quantity_kg)
        runs.append((r.issuance_id, r.last - take + 1, r.last))
        wanted -= take
    if wanted:
        raise Conflict(_l("The order holds fewer serials than that."))
    return list(reversed(runs))


def reverse_part(
    session: Session,
    allocation: Allocation,
    quantity_kg: int,
    *,
    reason: str,
    actor: User | None,
    now: datetime | None = None,
) -> list[SerialRange]:
    """Return the last ``quantity_kg`` retired serials of an allocation (partial 冲正).

    The returned serials are taken from the end of the allocation's ranges: a range
    returned whole flips to ``returned``; a range cut in two keeps its lower part retired
    and the upper part becomes a new ``returned`` range of the same allocation (nothing is
    deleted). The counters move back so those kg are available again, and one
    ``reversal`` entry names only the returned sub-ranges, which is what the ledger
    replay of ``registry verify`` subtracts. Returning every serial is a full
    :func:`reverse`. Returns the returned ranges.
    """
    now = now or utcnow()
    head = ledger.lock_head(session)
    allocation = _locked(session, allocation)
    if allocation.state is not AllocationState.RETIRED:
        raise Conflict(_l("Only retired credits can be returned."))
    held_kg = sum(r.quantity_kg for r in held_ranges(allocation))
    if not 0 < quantity_kg < held_kg:
        raise DomainError(_l("A partial return must leave some credits retired."))
    returned: list[SerialRange] = []
    for issuance_id, first, last in tail_runs(allocation, quantity_kg):
        whole = next(r for r in held_ranges(allocation) if r.first <= first and r.last >= last)
        if whole.first == first:
            whole.state = RangeState.RETURNED
            returned.append(whole)
            continue
        whole.last = first - 1
        part = SerialRange(
            issuance_id=issuance_id,
            allocation_id=allocation.id,
            first=first,
            last=last,
            state=RangeState.RETURNED,
        )
        session.add(part)
        returned.append(part)
    # Shrink the kept range before the returned part is inserted beside it.
    session.flush()
    session.refresh(allocation, attribute_names=["ranges"])
    _count(session, returned, reserved=0, retired=-1)
    allocation.quantity_kg = held_kg - quantity_kg
    ledger.append(
        session,
        head,
        "reversal",
        {
            "allocation": allocation.id,
            "project": allocation.project.code,
            "quantity_kg": quantity_kg,
            "remaining_kg": allocation.quantity_kg,
            "ranges": _body_of(returned),
            "reason": reason[:200],
        },
        project_id=allocation.project_id,
        allocation_id=allocation.id,
        now=now,
    )
    audit.record(
        session,
        "registry.partial_reversal",
        actor=actor,
        subject=allocation,
        reason=reason,
        quantity_kg=quantity_kg,
    )
    return returned
