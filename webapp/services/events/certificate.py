"""The event certificate's details (零碳会议 / 零碳活动), for ``certificates/documents``.

It states the organiser's share of the footprint that its order completed
(``Order.event_cover_kg``) and every serial the organiser retired for the event up to and
including that order, so a top-up certificate shows the whole cover.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Certificate, Event, EventKind, Order, OrderKind, OrderStatus
from webapp.services.certificates.context import MAX_EVENT_NAME, MAX_SHORT, EventDetails
from webapp.services.certificates.coverage import Coverage, allocation_runs

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


def event_details(session: Session, certificate: Certificate, facts: Coverage) -> EventDetails:
    from webapp.services.certificates.documents import IncompleteCertificateError, fit

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
    runs = tuple(
        sorted(
            (
                run
                for o in cover
                if o.allocation is not None
                for run in allocation_runs(o.allocation)
            ),
            key=lambda r: r.first,
        )
    )
    retired = sum(o.retained_kg for o in cover)
    if not runs or retired < order.event_cover_kg:
        raise IncompleteCertificateError(
            f"certificate {certificate.public_id}: {retired} kg retired for a cover of "
            f"{order.event_cover_kg} kg"
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
        footprint_kg=order.event_cover_kg,
        retired_kg=retired,
        serial_ranges=all_runs.serial_ranges,
        delivery=delivery,
        expected_years=expected or ("—" if delivery == "projected" else None),
        meeting=event.kind in (EventKind.MEETING, EventKind.FORUM),
    )
