"""The event certificate's details (零碳会议 / 零碳活动), for ``certificates/documents``.

It states the organiser's share of the footprint that its order completed
(``Order.event_cover_kg``) and every serial the organiser retired for the event up to and
including that order, so a top-up certificate shows the whole cover.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Certificate, Event, EventKind, Order, OrderKind, OrderStatus
from webapp.services.certificates.context import (
    MAX_EVENT_NAME,
    MAX_SHORT,
    EventDetails,
    IncompleteCertificateError,
    fit,
)
from webapp.services.certificates.coverage import Coverage, allocation_runs, slice_runs

KIND_TEXTS = {
    EventKind.MEETING: ("会议", "meeting"),
    EventKind.FORUM: ("论坛", "forum"),
    EventKind.EXHIBITION: ("展览", "exhibition"),
    EventKind.PERFORMANCE: ("演出", "performance"),
    EventKind.SPORTS: ("赛事", "sports event"),
    EventKind.OTHER: ("活动", "event"),
}


def dates_text(event: Event) -> str:
    if event.starts_on == event.ends_on:
        return event.starts_on.isoformat()
    return f"{event.starts_on.isoformat()} – {event.ends_on.isoformat()}"


def _runs_stated(o: Order, order: Order, stated_kg: int) -> tuple:
    """The serials an order contributes to the certificate of ``order``: what it holds
    now, except the certificate's own order after a partial refund returned part of it —
    then the lowest ``stated_kg`` of every serial it held, as the certificate stated."""
    if o.allocation is None:
        return ()
    if o.id == order.id and stated_kg > o.retained_kg:
        return slice_runs(allocation_runs(o.allocation, every=True), 0, stated_kg)
    return allocation_runs(o.allocation)


def event_details(session: Session, certificate: Certificate, facts: Coverage) -> EventDetails:
    order = session.get(Order, certificate.order_id) if certificate.order_id else None
    event = session.get(Event, order.event_id) if order is not None and order.event_id else None
    if order is None or event is None or order.event_cover_kg is None:
        raise IncompleteCertificateError(f"certificate {certificate.public_id} names no event")
    cover = list(
        session.scalars(
            select(Order)
            .where(
                Order.event_id == event.id,
                Order.kind == OrderKind.EVENT,
                Order.status == OrderStatus.PAID,
                Order.id <= order.id,
            )
            .order_by(Order.id)
        )
    )
    stated_kg = certificate.quantity_kg or order.retained_kg
    runs = tuple(
        sorted(
            (run for o in cover for run in _runs_stated(o, order, stated_kg)),
            key=lambda r: r.first,
        )
    )
    retired = sum(stated_kg if o.id == order.id else o.retained_kg for o in cover)
    # What the certificate stated when issued (its order's figure changes when a partial
    # refund supersedes it), so a superseded certificate's revoked copy stays true.
    cover_kg = certificate.event_cover_kg or order.event_cover_kg
    if not runs or retired < cover_kg:
        raise IncompleteCertificateError(
            f"certificate {certificate.public_id}: {retired} kg retired for a cover of "
            f"{cover_kg} kg"
        )
    all_runs = Coverage(runs=runs)
    delivery = all_runs.delivery or "verified"
    expected = all_runs.expected_years if delivery == "projected" else None
    zh, en = KIND_TEXTS[event.kind]
    return EventDetails(
        event_name=fit(event.name, MAX_EVENT_NAME),
        event_kind_zh=zh,
        event_kind_en=en,
        event_dates=fit(dates_text(event), MAX_SHORT),
        footprint_kg=cover_kg,
        retired_kg=retired,
        serial_ranges=all_runs.serial_ranges,
        delivery=delivery,
        expected_years=expected or ("—" if delivery == "projected" else None),
        meeting=event.kind in (EventKind.MEETING, EventKind.FORUM),
    )
