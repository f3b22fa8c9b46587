"""Who covered what for an event, in whole kg, and whether the badge may be shown.

No double counting: attendees who offset their own travel (ordinary offset orders linked
to the event) cover part of the *travel* lines, never more than those lines; the
organiser covers the rest. Only paid orders whose certificate is still valid count, so a
refund or a revoked certificate takes its tonnes (and, if need be, the badge) away. The
registry guarantees that no serial is retired twice, so the organiser's and attendees'
serials are always distinct.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.models import (
    Certificate,
    CertificateStatus,
    Event,
    Order,
    OrderKind,
    OrderStatus,
)
from webapp.services.certificates.coverage import Coverage, Run, allocation_runs
from webapp.services.events.records import whole_kg
from webapp.services.footprint_records import stored_result


@dataclass(frozen=True)
class Contribution:
    order_ref: str
    user_id: int
    quantity_kg: int
    runs: tuple[Run, ...]
    certificate_id: str | None

    @property
    def serial_ranges(self) -> tuple[str, ...]:
        return tuple(run.label for run in self.runs)


@dataclass(frozen=True)
class EventCoverage:
    footprint_kg: int | None  # what must be covered now (None: no estimate yet)
    actual: bool  # the footprint is the actual one (after the true-up)
    travel_kg: int  # the participant-travel part of the footprint, whole kg
    organiser: tuple[Contribution, ...]
    attendees: tuple[Contribution, ...]
    attendees_retired_kg: int  # what attendees retired for their own travel
    pending_ref: str | None  # the organiser's unpaid order, if any
    # Kilograms the organiser's orders returned to the registry by refunds (the surplus
    # of a true-up, or an order refunded in full); no longer counted above.
    organiser_refunded_kg: int = 0

    @property
    def organiser_kg(self) -> int:
        return sum(c.quantity_kg for c in self.organiser)

    @property
    def attendees_kg(self) -> int:
        """Attendees' retirements counted for the event: at most the travel lines."""
        return min(self.attendees_retired_kg, self.travel_kg)

    @property
    def attendee_people(self) -> int:
        return len({c.user_id for c in self.attendees})

    @property
    def covered_kg(self) -> int:
        return self.organiser_kg + self.attendees_kg

    @property
    def organiser_share_kg(self) -> int:
        """What the organiser must retire in all: the footprint less attendees' part."""
        return max(0, (self.footprint_kg or 0) - self.attendees_kg)

    @property
    def needed_kg(self) -> int:
        """What is still uncovered (the next organiser order's quantity)."""
        return max(0, self.organiser_share_kg - self.organiser_kg)

    @property
    def surplus_kg(self) -> int:
        return max(0, self.organiser_kg - self.organiser_share_kg)

    @property
    def complete(self) -> bool:
        return bool(self.footprint_kg) and self.covered_kg >= (self.footprint_kg or 0)

    @property
    def organiser_facts(self) -> Coverage:
        runs = tuple(run for c in self.organiser for run in c.runs)
        return Coverage(runs=tuple(sorted(runs, key=lambda r: r.first)))


def _contributions(session: Session, event: Event, kind: OrderKind) -> list[Contribution]:
    rows = session.execute(
        select(Order, Certificate)
        .join(
            Certificate,
            (Certificate.order_id == Order.id) & Certificate.parent_id.is_(None),
        )
        .where(
            Order.event_id == event.id,
            Order.kind == kind,
            Order.status == OrderStatus.PAID,
            Certificate.status == CertificateStatus.VALID,
        )
        .order_by(Order.paid_at, Order.id)
    ).all()
    return [
        Contribution(
            order_ref=order.ref,
            user_id=order.user_id,
            # What the order still holds: a partial refund returned the rest.
            quantity_kg=order.retained_kg,
            runs=allocation_runs(order.allocation) if order.allocation is not None else (),
            certificate_id=certificate.public_id,
        )
        for order, certificate in rows
    ]


def travel_kg(event: Event) -> int:
    calculation = event.actual_calculation or event.estimate_calculation
    if calculation is None:
        return 0
    return whole_kg(stored_result(calculation).by_category.get("travel", Decimal(0)))


def pending_order(session: Session, event: Event) -> Order | None:
    return session.scalar(
        select(Order).where(
            Order.event_id == event.id,
            Order.kind == OrderKind.EVENT,
            Order.status == OrderStatus.PENDING,
        )
    )


def refunded_kg(session: Session, event: Event) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Order.refunded_kg), 0)).where(
                Order.event_id == event.id,
                Order.kind == OrderKind.EVENT,
                Order.status.in_((OrderStatus.PAID, OrderStatus.REFUNDED)),
            )
        )
        or 0
    )


def of(session: Session, event: Event) -> EventCoverage:
    attendees = _contributions(session, event, OrderKind.OFFSET)
    pending = pending_order(session, event)
    return EventCoverage(
        footprint_kg=event.footprint_kg,
        actual=event.actual_kg is not None,
        travel_kg=travel_kg(event),
        organiser=tuple(_contributions(session, event, OrderKind.EVENT)),
        attendees=tuple(attendees),
        attendees_retired_kg=sum(c.quantity_kg for c in attendees),
        pending_ref=pending.ref if pending is not None else None,
        organiser_refunded_kg=refunded_kg(session, event),
    )
