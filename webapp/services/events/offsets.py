"""The organiser's offset orders: the estimate before the event, a top-up at the true-up.

An event order is an ordinary offset order (reserved → retired for the organisation,
purpose "event") started through the same checkout, with ``kind = EVENT``, the event and
``event_cover_kg`` (the organiser's share of the footprint this order completes, which
its certificate states). Its quantity is what is still uncovered (:mod:`coverage`), so
paying the estimate and then a top-up never retires the same tonnes twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.errors import Conflict
from webapp.models import (
    Event,
    Order,
    OrderKind,
    OrderStatus,
    PaymentMethod,
    Privacy,
    Purpose,
    SurveyResponse,
    User,
)
from webapp.services import audit, orders
from webapp.services.events import offset_state, organisations, survey
from webapp.services.events.records import whole_kg
from webapp.services.payments import checkout
from webapp.services.payments.providers import BuyerClient
from webapp.services.registry.allocation import Beneficiary


def quote(session: Session, event: Event, actor: User) -> orders.Quote | None:
    """What :func:`start` would reserve and charge now (the same checks, nothing
    reserved): shown to the organiser before the order is opened, as on /offset. None if
    not enough credits are on sale."""
    state = _startable(session, event, actor)
    return orders.choose_project(session, max(state.needed_kg, orders.MIN_QUANTITY_KG))


def _startable(session: Session, event: Event, actor: User) -> offset_state.EventCoverage:
    if organisations.membership(session, event.organisation, actor) is None:
        raise Conflict(_l("Only members of the organisation can offset its events."))
    state = offset_state.of(session, event)
    if state.footprint_kg is None:
        raise Conflict(_l("Record the estimate first."))
    if state.pending_ref is not None:
        raise Conflict(
            _l("Order %(ref)s for this event awaits payment: pay or cancel it first.",
               ref=state.pending_ref)
        )  # fmt: skip
    if state.needed_kg == 0:
        raise Conflict(_l("The footprint is covered in full already."))
    return state


def start(
    session: Session,
    event: Event,
    *,
    actor: User,
    method: PaymentMethod,
    locale: str,
    config: dict[str, Any],
    return_urls: Callable[[str], tuple[str, str]],
    now: datetime | None = None,
    client: BuyerClient | None = None,
) -> Order:
    """Open an order for everything the organiser has still to cover."""
    state = _startable(session, event, actor)
    org = event.organisation
    order_request = orders.OffsetRequest(
        quantity_kg=max(state.needed_kg, orders.MIN_QUANTITY_KG),
        beneficiary=Beneficiary(
            name=org.name,
            privacy=Privacy.FULL,
            purpose=Purpose.EVENT,
            purpose_detail=event.name[:80],
        ),
        method=method,
        locale=locale,
        invoice_title=org.invoice_title or "",
        invoice_tax_id=org.invoice_tax_id or "",
    )
    order = checkout.start_offset(
        session,
        user=actor,
        order_request=order_request,
        config=config,
        return_urls=return_urls,
        now=now,
        client=client,
    )
    order.kind = OrderKind.EVENT
    order.event_id = event.id
    order.event_cover_kg = state.organiser_share_kg
    session.flush()
    audit.record(
        session, "event.order", actor=actor, subject=event, ref=order.ref,
        quantity_kg=order.quantity_kg, cover_kg=order.event_cover_kg,
    )  # fmt: skip
    return order


def start_attendee(
    session: Session,
    event: Event,
    response: SurveyResponse,
    *,
    actor: User,
    method: PaymentMethod,
    locale: str,
    config: dict[str, Any],
    return_urls: Callable[[str], tuple[str, str]],
    now: datetime | None = None,
    client: BuyerClient | None = None,
) -> Order:
    """An attendee offsets their own trip (the survey answer of their device).

    An ordinary offset order (kind OFFSET) linked to the event: it counts against the
    event's travel lines (never more than them, see :mod:`coverage`), once per person."""
    if response.event_id != event.id:
        raise Conflict(_l("That answer belongs to another event."))
    already = session.scalar(
        select(Order.ref).where(
            Order.event_id == event.id,
            Order.kind == OrderKind.OFFSET,
            Order.user_id == actor.id,
            Order.status.in_((OrderStatus.PENDING, OrderStatus.PAID)),
        )
    )
    if already is not None:
        raise Conflict(_l("You have offset your trip to this event already (order %(ref)s).",
                          ref=already))  # fmt: skip
    kg = whole_kg(survey.personal_kg(event, response))
    order_request = orders.OffsetRequest(
        quantity_kg=max(kg, orders.MIN_QUANTITY_KG),
        beneficiary=Beneficiary(
            name=actor.display_name,
            privacy=Privacy.INITIALS,
            purpose=Purpose.EVENT,
            purpose_detail=event.name[:80],
        ),
        method=method,
        locale=locale,
    )
    order = checkout.start_offset(
        session,
        user=actor,
        order_request=order_request,
        config=config,
        return_urls=return_urls,
        now=now,
        client=client,
    )
    order.event_id = event.id
    session.flush()
    audit.record(session, "event.attendee_order", actor=actor, subject=event, ref=order.ref)
    return order
