"""What a certificate covers in the registry: its serial runs, project, purpose and entry.

Both the PDF (:mod:`.documents`) and the public verification (:mod:`.verification`) read
a certificate's registry facts through :func:`coverage`, so the two always agree.

A personal *share* certificate (bulk issue, ``parent_id`` set) covers a slice of its
parent's serials: shares take consecutive kilograms of the parent's runs in the order
they were issued (by id). Shares are never deleted and their quantities never change,
so a share's slice is stable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.localtime import local_date
from webapp.models import Allocation, AllocationState, Certificate, Order, Purpose
from webapp.services.registry.serial_history import (
    ReversalNote,
    earlier_reversals,
    reversals_of,
)
from webapp.services.registry.serials import format_range


@dataclass(frozen=True)
class Run:
    """A contiguous run of serials of one issuance."""

    project_code: str
    vintage: int
    first: int
    last: int
    projected: bool = False
    expected_from: int | None = None
    expected_to: int | None = None

    @property
    def quantity_kg(self) -> int:
        return self.last - self.first + 1

    @property
    def label(self) -> str:
        return format_range(self.project_code, self.vintage, self.first, self.last)


@dataclass(frozen=True)
class Coverage:
    """Registry facts of one certificate (plain data)."""

    project_code: str | None = None
    project_name_zh: str | None = None
    project_name_en: str | None = None
    project_is_demo: bool = False
    runs: tuple[Run, ...] = ()
    purpose: Purpose | None = None
    purpose_detail: str | None = None
    case_number: str | None = None
    retirement_seq: int | None = None
    parent_public_id: str | None = None
    parent_quantity_kg: int | None = None
    # --- delivery (issue 18): projected serials settled by delivered ones ---
    delivered_on: date | None = None  # local date of the delivery
    delivered_runs: tuple[Run, ...] = ()
    delivery_seq: int | None = None  # the ``delivery`` ledger entry
    # --- refunds (issue 21 part 9): this retirement's reversal entries, and earlier
    # reversals that returned serials it now holds (refunded, then sold again) ---
    reversals: tuple[ReversalNote, ...] = ()
    earlier_reversals: tuple[ReversalNote, ...] = ()

    @property
    def delivered_serials(self) -> tuple[str, ...]:
        return tuple(run.label for run in self.delivered_runs)

    @property
    def serial_ranges(self) -> tuple[str, ...]:
        return tuple(run.label for run in self.runs)

    @property
    def delivery(self) -> str | None:
        """``projected`` if any serial is ex-ante, ``verified`` otherwise (None: no serials)."""
        if not self.runs:
            return None
        return "projected" if any(run.projected for run in self.runs) else "verified"

    @property
    def expected_years(self) -> str | None:
        """When projected tonnes are expected, e.g. ``"2027"`` or ``"2027–2031"``."""
        projected = [run for run in self.runs if run.projected and run.expected_from]
        if not projected:
            return None
        start = min(run.expected_from or 0 for run in projected)
        end = max(run.expected_to or run.expected_from or 0 for run in projected)
        return str(start) if start == end else f"{start}–{end}"


def slice_runs(runs: Sequence[Run], offset: int, quantity: int) -> tuple[Run, ...]:
    """The ``quantity`` serials starting ``offset`` serials into ``runs``."""
    if offset < 0 or quantity <= 0 or offset + quantity > sum(r.quantity_kg for r in runs):
        raise ValueError("the slice lies outside the runs")
    out: list[Run] = []
    skip, wanted = offset, quantity
    for run in runs:
        if skip >= run.quantity_kg:
            skip -= run.quantity_kg
            continue
        first = run.first + skip
        take = min(run.last - first + 1, wanted)
        out.append(
            Run(
                project_code=run.project_code,
                vintage=run.vintage,
                first=first,
                last=first + take - 1,
                projected=run.projected,
                expected_from=run.expected_from,
                expected_to=run.expected_to,
            )
        )
        skip, wanted = 0, wanted - take
        if wanted == 0:
            break
    return tuple(out)


def allocation_runs(allocation: Allocation, *, every: bool = False) -> tuple[Run, ...]:
    """The allocation's serials as runs: what it holds now, or ``every`` range it held."""
    ranges = allocation.ranges if every else allocation.current_ranges
    runs: list[Run] = []
    last_issuance = None
    for r in sorted(ranges, key=lambda r: (r.issuance_id, r.first)):
        run = Run(
            project_code=allocation.project.code,
            vintage=r.issuance.vintage,
            first=r.first,
            last=r.last,
            projected=r.issuance.delivery.value == "projected",
            expected_from=r.issuance.expected_from,
            expected_to=r.issuance.expected_to,
        )
        previous = runs[-1] if runs else None
        if previous is not None and r.issuance_id == last_issuance and previous.last + 1 == r.first:
            # A range split by a partial refund reads as the one range it was.
            runs[-1] = replace(previous, last=r.last)
        else:
            runs.append(run)
        last_issuance = r.issuance_id
    return tuple(sorted(runs, key=lambda run: run.first))


def share_offset(session: Session, share: Certificate) -> int:
    """Kilograms of the parent taken by the shares issued before ``share``."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Certificate.quantity_kg), 0)).where(
                Certificate.parent_id == share.parent_id, Certificate.id < share.id
            )
        )
        or 0
    )


def shared_kg(session: Session, parent: Certificate) -> int:
    """Kilograms of ``parent`` already given out as personal shares (revoked ones too)."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Certificate.quantity_kg), 0)).where(
                Certificate.parent_id == parent.id
            )
        )
        or 0
    )


def coverage(session: Session, certificate: Certificate) -> Coverage:
    """The registry facts behind ``certificate`` (empty when it names no allocation)."""
    parent = session.get(Certificate, certificate.parent_id) if certificate.parent_id else None
    source = parent or certificate
    allocation = source.allocation
    if allocation is None:
        return Coverage(
            parent_public_id=parent.public_id if parent else None,
            parent_quantity_kg=parent.quantity_kg if parent else None,
        )
    runs = allocation_runs(allocation)
    if source.quantity_kg and sum(r.quantity_kg for r in runs) < source.quantity_kg:
        # Issued before a partial refund returned the allocation's last serials (the
        # certificate is then revoked and re-issued): it covered the lowest serials of
        # everything the allocation held, as many as it states.
        runs = slice_runs(allocation_runs(allocation, every=True), 0, source.quantity_kg)
    if parent is not None and certificate.quantity_kg:
        runs = slice_runs(runs, share_offset(session, certificate), certificate.quantity_kg)
    delivered = session.scalar(
        select(Allocation).where(
            Allocation.settles_allocation_id == allocation.id,
            Allocation.state == AllocationState.RETIRED,
        )
    )
    order = session.get(Order, source.order_id) if source.order_id else None
    purpose_from = order if order is not None else allocation
    project = allocation.project
    return Coverage(
        project_code=project.code,
        project_name_zh=project.name_zh,
        project_name_en=project.name_en,
        project_is_demo=project.is_demo,
        runs=runs,
        purpose=purpose_from.purpose,
        purpose_detail=purpose_from.purpose_detail,
        case_number=purpose_from.case_number,
        retirement_seq=allocation.retirement_entry_seq,
        parent_public_id=parent.public_id if parent else None,
        parent_quantity_kg=parent.quantity_kg if parent else None,
        delivered_on=local_date(delivered.retired_at) if delivered else None,
        delivered_runs=allocation_runs(delivered) if delivered else (),
        delivery_seq=delivered.retirement_entry_seq if delivered else None,
        reversals=reversals_of(session, allocation),
        earlier_reversals=earlier_reversals(session, allocation),
    )
