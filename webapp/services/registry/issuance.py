"""Sink projects' issuances (签发批次): draft → approved by a second admin → on sale → closed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from webapp.errors import DomainError, Forbidden
from webapp.models import Delivery, Issuance, IssuanceStatus, Role, SinkProject, User
from webapp.models.base import utcnow
from webapp.services import audit
from webapp.services.registry import buffer, ledger
from webapp.services.registry.states import issuance_transition

MAX_ISSUANCE_KG = 10**10  # 10 Mt: far above any municipal project, far below overflow
MAX_PRICE = Decimal("100000")


@dataclass(frozen=True)
class IssuanceDraft:
    vintage: int
    period_start: date
    period_end: date
    quantity_kg: int
    price_per_tonne: Decimal
    delivery: Delivery
    expected_from: int | None = None
    expected_to: int | None = None
    note: str = ""


def _require_admin(actor: User) -> None:
    if actor.role is not Role.ADMIN:
        raise Forbidden(_l("Only registry administrators may do this."))


def _check(draft: IssuanceDraft) -> None:
    if not 0 < draft.quantity_kg <= MAX_ISSUANCE_KG:
        raise DomainError(_l("The quantity must be between 1 kg and 10,000,000 t."))
    if not 1990 <= draft.vintage <= 2100:
        raise DomainError(_l("The vintage must be a year between 1990 and 2100."))
    if draft.period_end < draft.period_start:
        raise DomainError(_l("The monitoring period must end after it starts."))
    if not Decimal(0) <= draft.price_per_tonne <= MAX_PRICE:
        raise DomainError(_l("The price must be between ¥0 and ¥100,000 per tonne."))
    if draft.delivery is Delivery.PROJECTED and (
        draft.expected_from is None
        or draft.expected_to is None
        or draft.expected_to < draft.expected_from
    ):
        raise DomainError(_l("Projected tonnes need the years they are expected in."))


def _public(issuance: Issuance, project: SinkProject) -> dict[str, object]:
    return {
        "issuance": issuance.id,
        "project": project.code,
        "vintage": issuance.vintage,
        "period": [issuance.period_start.isoformat(), issuance.period_end.isoformat()],
        "serial_first": issuance.serial_first,
        "serial_last": issuance.serial_last,
        "quantity_kg": issuance.quantity_kg,
        "price_per_tonne": str(issuance.price_per_tonne),
        "delivery": issuance.delivery.value,
        "expected_years": (
            [issuance.expected_from, issuance.expected_to]
            if issuance.delivery is Delivery.PROJECTED
            else None
        ),
    }


def draft(
    session: Session,
    project: SinkProject,
    data: IssuanceDraft,
    *,
    actor: User,
    now: datetime | None = None,
) -> Issuance:
    _require_admin(actor)
    _check(data)
    now = now or utcnow()
    head = ledger.lock_head(session)
    first = head.next_serial
    last = first + data.quantity_kg - 1
    head.next_serial = last + 1
    issuance = Issuance(
        project_id=project.id,
        vintage=data.vintage,
        period_start=data.period_start,
        period_end=data.period_end,
        serial_first=first,
        serial_last=last,
        price_per_tonne=data.price_per_tonne.quantize(Decimal("0.01")),
        delivery=data.delivery,
        expected_from=data.expected_from if data.delivery is Delivery.PROJECTED else None,
        expected_to=data.expected_to if data.delivery is Delivery.PROJECTED else None,
        note=data.note.strip(),
        status=IssuanceStatus.DRAFT,
        drafted_by_id=actor.id,
        created_at=now,
    )
    session.add(issuance)
    session.flush()
    ledger.append(
        session, head, "issuance", _public(issuance, project), project_id=project.id, now=now
    )
    audit.record(
        session,
        "registry.issuance_drafted",
        actor=actor,
        subject=issuance,
        project=project.code,
        quantity_kg=issuance.quantity_kg,
    )
    return issuance


def approve(
    session: Session, issuance: Issuance, *, actor: User, now: datetime | None = None
) -> Issuance:
    """Maker-checker: a second administrator, never the drafter, approves."""
    _require_admin(actor)
    now = now or utcnow()
    head = ledger.lock_head(session)
    session.refresh(issuance, with_for_update=True)
    if actor.id == issuance.drafted_by_id:
        raise Forbidden(
            _l(
                "An issuance must be approved by a different administrator "
                "than the one who drafted it."
            )
        )
    issuance.status = issuance_transition(issuance.status, IssuanceStatus.APPROVED)
    issuance.approved_by_id = actor.id
    issuance.approved_at = now
    ledger.append(
        session,
        head,
        "approval",
        {"issuance": issuance.id, "project": issuance.project.code},
        project_id=issuance.project_id,
        now=now,
    )
    # Buffer pool (issue 18): a delivered issuance withholds its share at approval.
    buffer.withhold(session, head, issuance, now=now)
    audit.record(session, "registry.issuance_approved", actor=actor, subject=issuance)
    return issuance


def set_status(
    session: Session,
    issuance: Issuance,
    status: IssuanceStatus,
    *,
    actor: User,
    now: datetime | None = None,
) -> Issuance:
    """Put an approved issuance on sale, or close (and reopen) it."""
    _require_admin(actor)
    now = now or utcnow()
    head = ledger.lock_head(session)
    session.refresh(issuance, with_for_update=True)
    issuance.status = issuance_transition(issuance.status, status)
    ledger.append(
        session,
        head,
        "issuance_status",
        {"issuance": issuance.id, "project": issuance.project.code, "status": status.value},
        project_id=issuance.project_id,
        now=now,
    )
    audit.record(
        session, "registry.issuance_status", actor=actor, subject=issuance, status=status.value
    )
    return issuance
