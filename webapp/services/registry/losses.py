"""Losses of carbon (碳流失): report → confirmation by a second staff member → cover.

Reporting (:func:`report`) by a ranger or a staff member records the loss and its photos;
nothing in the registry changes. Confirmation (:func:`confirm`) by a staff member who did
not report it cancels serials in one transaction, under the ledger head lock that every
reservation also takes (so no reservation interleaves and nothing is oversold):

1. buffer serials of the project (oldest issuance first, each buffer's highest serials
   first): ``buffer_held_kg`` → ``buffer_used_kg``;
2. if the buffer is short, unsold stock of the project (delivered issuances first, then
   projected; oldest vintage first; lowest free serials) into one allocation
   ``loss:<id>`` in state ``cancelled``: ``cancelled_kg`` grows; and the project's sales
   stop (``sales_stop``) until staff :func:`resolve` the loss;
3. what neither covers is the public uncovered remainder.

One ``cancellation`` ledger entry names the loss and every cancelled serial. After the
commit, holders of certificates resting on the project are told (``LossConfirmed``,
handled by ``services/registry/loss_notice.py``). docs/METHODOLOGY.md, "Losses", gives the
rules and sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_CEILING, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.errors import Conflict, DomainError, Forbidden
from webapp.localtime import today
from webapp.models import (
    Allocation,
    AllocationState,
    Delivery,
    Issuance,
    IssuanceStatus,
    Loss,
    LossCause,
    LossPhoto,
    LossStatus,
    RangeState,
    Role,
    SerialRange,
    SinkProject,
    User,
)
from webapp.models.base import utcnow
from webapp.services import audit, text_policy
from webapp.services.messages import LossConfirmed
from webapp.services.plots.photos import MAX_PHOTOS, PreparedPhoto
from webapp.services.registry import allocation as allocations
from webapp.services.registry import ledger
from webapp.unit_of_work import after_commit

MU_PER_HA = Decimal(15)  # 1 ha = 15 亩
MAX_NOTE = 2000
OLDEST_REPORT_YEARS = 30

TRANSITIONS: dict[LossStatus, frozenset[LossStatus]] = {
    LossStatus.REPORTED: frozenset({LossStatus.CONFIRMED, LossStatus.REJECTED}),
    LossStatus.CONFIRMED: frozenset({LossStatus.RESOLVED}),
    LossStatus.RESOLVED: frozenset(),
    LossStatus.REJECTED: frozenset(),
}


def loss_transition(current: LossStatus, target: LossStatus) -> LossStatus:
    if target not in TRANSITIONS[current]:
        raise Conflict(_l("This loss report cannot change that way any more."))
    return target


@dataclass(frozen=True)
class LossReport:
    cause: LossCause
    occurred_on: date
    area_ha: Decimal
    estimated_t: Decimal
    note: str = ""


def project_area_ha(project: SinkProject) -> Decimal:
    return (Decimal(project.area_mu) / MU_PER_HA).quantize(Decimal("0.01"))


def issued_kg(session: Session, project: SinkProject) -> int:
    quantity = Issuance.serial_last - Issuance.serial_first + 1
    return int(
        session.scalar(
            select(func.coalesce(func.sum(quantity), 0)).where(
                Issuance.project_id == project.id, Issuance.status != IssuanceStatus.DRAFT
            )
        )
        or 0
    )


def estimate_kg(tonnes: Decimal) -> int:
    return int((tonnes * 1000).to_integral_value(rounding=ROUND_CEILING))


def check_report(
    session: Session, project: SinkProject, data: LossReport, *, now: datetime | None = None
) -> int:
    """Refuse what cannot be a loss of this project; returns the estimate in kg."""
    if data.area_ha <= 0:
        raise DomainError(_l("The area lost must be more than 0 ha."))
    area = project_area_ha(project)
    if data.area_ha > area:
        raise DomainError(
            _l(
                "The area lost (%(lost)s ha) is larger than the project (%(area)s ha).",
                lost=data.area_ha,
                area=area,
            )
        )
    if data.estimated_t <= 0:
        raise DomainError(_l("The estimated loss must be more than 0 t CO₂e."))
    kg = estimate_kg(data.estimated_t)
    issued = issued_kg(session, project)
    if kg > issued:
        raise DomainError(
            _l(
                "The estimated loss (%(lost)s t) is larger than all the project has issued "
                "(%(issued)s t).",
                lost=f"{kg / 1000:,.3f}",
                issued=f"{issued / 1000:,.3f}",
            )
        )
    day = today(now)
    if data.occurred_on > day:
        raise DomainError(_l("The date of the loss cannot be in the future."))
    if data.occurred_on.year < day.year - OLDEST_REPORT_YEARS:
        raise DomainError(_l("The date of the loss is too long ago."))
    why = text_policy.problem(text_policy.normalise(data.note, multiline=True), multiline=True)
    if why is not None:
        raise DomainError(why)
    if len(data.note) > MAX_NOTE:
        raise DomainError(_l("The note may be at most %(n)d characters.", n=MAX_NOTE))
    return kg


def may_report(user: User) -> bool:
    return user.is_authenticated and user.role in (Role.RANGER, Role.ADMIN)


def report(
    session: Session,
    project: SinkProject,
    data: LossReport,
    photos: list[PreparedPhoto],
    *,
    actor: User,
    now: datetime | None = None,
) -> Loss:
    """Record a reported loss with its photos (the caller stores the files)."""
    if not may_report(actor):
        raise Forbidden(_l("Only rangers and registry staff may report a loss."))
    now = now or utcnow()
    kg = check_report(session, project, data, now=now)
    if len(photos) > MAX_PHOTOS:
        raise DomainError(_l("At most %(n)d photos.", n=MAX_PHOTOS))
    loss = Loss(
        project_id=project.id,
        cause=data.cause,
        occurred_on=data.occurred_on,
        area_ha=data.area_ha.quantize(Decimal("0.01")),
        estimated_kg=kg,
        note=text_policy.normalise(data.note, multiline=True),
        status=LossStatus.REPORTED,
        reported_by_id=actor.id,
        reported_at=now,
        buffer_kg=0,
        stock_kg=0,
        uncovered_kg=0,
    )
    session.add(loss)
    session.flush()
    for photo in photos:
        session.add(
            LossPhoto(
                loss_id=loss.id,
                path=photo.relative_path,
                sha256=photo.sha256,
                width=photo.width,
                height=photo.height,
                size_bytes=len(photo.data),
                created_at=now,
            )
        )
    session.flush()
    audit.record(
        session,
        "registry.loss_reported",
        actor=actor,
        subject=loss,
        project=project.code,
        estimated_kg=kg,
    )
    return loss


def _cancel_buffer(
    session: Session, project: SinkProject, wanted: int
) -> list[tuple[int, int, int]]:
    """Cancel up to ``wanted`` kg of the project's buffer serials; returns the runs."""
    cancelled: list[tuple[int, int, int]] = []
    buffers = list(
        session.scalars(
            select(Allocation)
            .where(
                Allocation.project_id == project.id,
                Allocation.state == AllocationState.BUFFER,
            )
            .order_by(Allocation.id)
            .with_for_update()
        )
    )
    for buf in buffers:
        if wanted == 0:
            break
        held = sorted(
            (r for r in buf.ranges if r.state is RangeState.BUFFER),
            key=lambda r: r.first,
            reverse=True,
        )
        for r in held:
            if wanted == 0:
                break
            take = min(wanted, r.quantity_kg)
            first, last = r.last - take + 1, r.last
            if take == r.quantity_kg:
                r.state = RangeState.CANCELLED
            else:
                r.last = first - 1
                session.flush()  # shrink before the cancelled part is inserted beside it
                session.add(
                    SerialRange(
                        issuance_id=r.issuance_id,
                        allocation_id=buf.id,
                        first=first,
                        last=last,
                        state=RangeState.CANCELLED,
                    )
                )
            cancelled.append((r.issuance_id, first, last))
            wanted -= take
    session.flush()
    _count(session, cancelled, held=-1, used=1, stock=0)
    return sorted(cancelled, key=lambda run: run[1])


def _count(
    session: Session, runs: list[tuple[int, int, int]], *, held: int, used: int, stock: int
) -> None:
    by_issuance: dict[int, int] = {}
    for iid, first, last in runs:
        by_issuance[iid] = by_issuance.get(iid, 0) + last - first + 1
    if not by_issuance:
        return
    for issuance in session.scalars(
        select(Issuance).where(Issuance.id.in_(by_issuance)).order_by(Issuance.id).with_for_update()
    ):
        qty = by_issuance[issuance.id]
        issuance.buffer_held_kg += held * qty
        issuance.buffer_used_kg += used * qty
        issuance.cancelled_kg += stock * qty


def _cancel_stock(
    session: Session, project: SinkProject, loss: Loss, wanted: int, now: datetime
) -> tuple[Allocation | None, list[tuple[int, int, int]]]:
    """Cancel up to ``wanted`` kg of the project's unsold stock into one allocation."""
    issuances = list(
        session.scalars(
            select(Issuance)
            .where(Issuance.project_id == project.id, Issuance.status != IssuanceStatus.DRAFT)
            .order_by((Issuance.delivery == Delivery.PROJECTED), Issuance.vintage, Issuance.id)
            .with_for_update()
        )
    )
    plan: list[tuple[Issuance, int]] = []
    for issuance in issuances:
        take = min(issuance.available_kg, wanted)
        if take > 0:
            plan.append((issuance, take))
            wanted -= take
        if wanted == 0:
            break
    if not plan:
        return None, []
    allocation = Allocation(
        project_id=project.id,
        quantity_kg=sum(take for _i, take in plan),
        holder_ref=f"loss:{loss.id}",
        state=AllocationState.CANCELLED,
        created_at=now,
    )
    session.add(allocation)
    session.flush()
    runs: list[tuple[int, int, int]] = []
    for issuance, take in plan:
        for first, last in allocations.free_runs(session, issuance, take):
            session.add(
                SerialRange(
                    issuance_id=issuance.id,
                    allocation_id=allocation.id,
                    first=first,
                    last=last,
                    state=RangeState.CANCELLED,
                )
            )
            runs.append((issuance.id, first, last))
    session.flush()
    _count(session, runs, held=0, used=0, stock=1)
    return allocation, runs


def _body(runs: list[tuple[int, int, int]]) -> list[dict[str, int]]:
    return [{"issuance": i, "first": f, "last": la} for i, f, la in runs]


def confirm(session: Session, loss: Loss, *, actor: User, now: datetime | None = None) -> Loss:
    """A second staff member confirms: cancel buffer, then stock (atomic, idempotent)."""
    if actor.role is not Role.ADMIN:
        raise Forbidden(_l("Only registry administrators may confirm a loss."))
    now = now or utcnow()
    head = ledger.lock_head(session)
    session.refresh(loss, with_for_update=True)
    if loss.status in (LossStatus.CONFIRMED, LossStatus.RESOLVED):
        return loss  # a double click or a replayed form: confirmed once
    if actor.id == loss.reported_by_id:
        raise Forbidden(
            _l("A loss must be confirmed by a different staff member than the one who reported it.")
        )
    target = loss_transition(loss.status, LossStatus.CONFIRMED)
    project = loss.project
    buffer_runs = _cancel_buffer(session, project, loss.estimated_kg)
    buffer_kg = sum(la - f + 1 for _i, f, la in buffer_runs)
    stock_allocation, stock_runs = _cancel_stock(
        session, project, loss, loss.estimated_kg - buffer_kg, now
    )
    stock_kg = sum(la - f + 1 for _i, f, la in stock_runs)
    loss.buffer_kg = buffer_kg
    loss.stock_kg = stock_kg
    loss.uncovered_kg = loss.estimated_kg - buffer_kg - stock_kg
    loss.stops_sales = buffer_kg < loss.estimated_kg
    loss.confirmed_by_id = actor.id
    loss.confirmed_at = now
    loss.status = target  # with its cover: the CHECK cover_adds_up holds at every flush
    entry = ledger.append(
        session,
        head,
        "cancellation",
        {
            "loss": loss.id,
            "project": project.code,
            "cause": loss.cause.value,
            "occurred_on": loss.occurred_on.isoformat(),
            "area_ha": str(loss.area_ha),
            "estimated_kg": loss.estimated_kg,
            "buffer_kg": buffer_kg,
            "buffer_ranges": _body(buffer_runs),
            "stock_kg": stock_kg,
            "stock_allocation": stock_allocation.id if stock_allocation else None,
            "stock_ranges": _body(stock_runs),
            "uncovered_kg": loss.uncovered_kg,
            "stops_sales": loss.stops_sales,
        },
        project_id=project.id,
        now=now,
    )
    loss.cancellation_seq = entry.seq
    session.flush()
    audit.record(
        session,
        "registry.loss_confirmed",
        actor=actor,
        subject=loss,
        buffer_kg=buffer_kg,
        stock_kg=stock_kg,
        uncovered_kg=loss.uncovered_kg,
    )
    after_commit(session, LossConfirmed(loss.id))
    return loss


def reject(session: Session, loss: Loss, *, actor: User, reason: str) -> Loss:
    """Staff decide a report is not a loss (mistaken, duplicate): nothing is cancelled."""
    if actor.role is not Role.ADMIN:
        raise Forbidden(_l("Only registry administrators may do this."))
    session.refresh(loss, with_for_update=True)
    if loss.status is LossStatus.REJECTED:
        return loss
    reason = text_policy.normalise(reason or "")
    if not reason or text_policy.problem(reason) is not None or len(reason) > 500:
        raise DomainError(_l("Please say why (at most 500 characters)."))
    loss.status = loss_transition(loss.status, LossStatus.REJECTED)
    loss.resolution_note = reason
    audit.record(session, "registry.loss_rejected", actor=actor, subject=loss, reason=reason)
    return loss


def resolve(
    session: Session, loss: Loss, *, actor: User, note: str, now: datetime | None = None
) -> Loss:
    """Staff lift the stop on sales a loss caused (e.g. the remainder was re-measured or
    made good), saying how; a ``loss_resolved`` entry records it."""
    if actor.role is not Role.ADMIN:
        raise Forbidden(_l("Only registry administrators may do this."))
    now = now or utcnow()
    head = ledger.lock_head(session)
    session.refresh(loss, with_for_update=True)
    if loss.status is LossStatus.RESOLVED:
        return loss
    note = text_policy.normalise(note or "")
    if not note or text_policy.problem(note) is not None or len(note) > 500:
        raise DomainError(_l("Please say how the loss was resolved (at most 500 characters)."))
    loss.status = loss_transition(loss.status, LossStatus.RESOLVED)
    loss.resolved_by_id = actor.id
    loss.resolved_at = now
    loss.resolution_note = note
    ledger.append(
        session,
        head,
        "loss_resolved",
        {"loss": loss.id, "project": loss.project.code, "note": note},
        project_id=loss.project_id,
        now=now,
    )
    audit.record(session, "registry.loss_resolved", actor=actor, subject=loss, note=note)
    return loss


# --- read side --------------------------------------------------------------------------


def find(session: Session, loss_id: int) -> Loss | None:
    return session.get(Loss, loss_id)


def pending(session: Session) -> list[Loss]:
    return list(
        session.scalars(select(Loss).where(Loss.status == LossStatus.REPORTED).order_by(Loss.id))
    )


def recent(session: Session, limit: int = 100) -> list[Loss]:
    return list(session.scalars(select(Loss).order_by(Loss.id.desc()).limit(limit)))


def public_losses(session: Session, project_id: int | None = None) -> list[Loss]:
    """Confirmed (and resolved) losses, newest first: the public loss register."""
    stmt = select(Loss).where(Loss.status.in_((LossStatus.CONFIRMED, LossStatus.RESOLVED)))
    if project_id is not None:
        stmt = stmt.where(Loss.project_id == project_id)
    return list(session.scalars(stmt.order_by(Loss.occurred_on.desc(), Loss.id.desc())))


def public_dict(loss: Loss) -> dict[str, object]:
    return {
        "ref": loss.ref,
        "project": loss.project.code,
        "cause": loss.cause.value,
        "occurred_on": loss.occurred_on.isoformat(),
        "area_ha": str(loss.area_ha),
        "estimated_kg": loss.estimated_kg,
        "buffer_kg": loss.buffer_kg,
        "stock_kg": loss.stock_kg,
        "uncovered_kg": loss.uncovered_kg,
        "sales_stopped": loss.sales_stopped,
        "status": loss.status.value,
        "confirmed_at": ledger.iso_utc(loss.confirmed_at) if loss.confirmed_at else None,
        "resolved_at": ledger.iso_utc(loss.resolved_at) if loss.resolved_at else None,
        "resolution": loss.resolution_note or None if loss.resolved_at else None,
        "ledger_entry": loss.cancellation_seq,
        "photos": [p.sha256 for p in loss.photos],
    }


@dataclass(frozen=True)
class LossNote:
    """A confirmed loss as a certificate's verify page shows it (plain, public data)."""

    ref: str
    cause: LossCause
    occurred_on: date
    area_ha: Decimal
    estimated_kg: int
    buffer_kg: int
    stock_kg: int
    uncovered_kg: int
    sales_stopped: bool
    resolved: bool
    resolution: str | None
    ledger_entry: int | None

    def to_dict(self) -> dict[str, object]:
        return {
            "ref": self.ref,
            "cause": self.cause.value,
            "occurred_on": self.occurred_on.isoformat(),
            "area_ha": str(self.area_ha),
            "estimated_kg": self.estimated_kg,
            "buffer_kg": self.buffer_kg,
            "stock_kg": self.stock_kg,
            "uncovered_kg": self.uncovered_kg,
            "sales_stopped": self.sales_stopped,
            "resolved": self.resolved,
            "resolution": self.resolution,
            "ledger_entry": self.ledger_entry,
        }


def notes_for_project(session: Session, project_code: str | None) -> tuple[LossNote, ...]:
    """Confirmed losses of the project a certificate rests on, oldest first."""
    if project_code is None:
        return ()
    project = session.scalar(select(SinkProject).where(SinkProject.code == project_code))
    if project is None:
        return ()
    return tuple(
        LossNote(
            ref=loss.ref,
            cause=loss.cause,
            occurred_on=loss.occurred_on,
            area_ha=loss.area_ha,
            estimated_kg=loss.estimated_kg,
            buffer_kg=loss.buffer_kg,
            stock_kg=loss.stock_kg,
            uncovered_kg=loss.uncovered_kg,
            sales_stopped=loss.sales_stopped,
            resolved=loss.status is LossStatus.RESOLVED,
            resolution=loss.resolution_note or None,
            ledger_entry=loss.cancellation_seq,
        )
        for loss in reversed(public_losses(session, project.id))
    )
