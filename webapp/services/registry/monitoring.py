"""Monitoring periods (计量监测) and verification (核证): recorded by staff, approved by a
second administrator, then delivered (``delivery.settle``).

1. :func:`record_period` — dates, method, area (ha) and the monitoring report (PDF);
   a ``monitoring`` ledger entry publishes the period and the report's SHA-256.
2. :func:`record_verification` — on a recorded period only: verifier, verified tonnes
   (integer kg), the price of whatever remains for sale, and the verification statement
   (PDF); a ``verification`` entry publishes them and the statement's SHA-256.
3. :func:`approve_verification` — a different administrator than the one who recorded
   the verification: the verified tonnes become a delivered issuance (drafted by the
   recorder, approved by the approver, as any issuance), which first settles the
   project's projected retirements; a ``verification_approval`` entry names the issuance
   and what was settled. If nothing is left unsettled the remainder goes on sale.

Documents are checked before anything is written (:func:`prepare_pdf`: ``%PDF-`` magic
bytes, size limit) and stored by content in the storage interface (area
``certificates``, keys ``project-documents/<ab>/<sha256>.pdf``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.errors import Conflict, DomainError, Forbidden
from webapp.localtime import today
from webapp.models import (
    Delivery,
    IssuanceStatus,
    MonitoringPeriod,
    MonitoringStatus,
    Role,
    SinkProject,
    User,
)
from webapp.models.base import utcnow
from webapp.services import audit, text_policy
from webapp.services.registry import delivery, ledger
from webapp.services.registry import issuance as issuance_service
from webapp.services.storage import Store

PDF_MAGIC = b"%PDF-"
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
MU_PER_HA = Decimal(15)  # 1 ha = 15 亩
MAX_AREA_HA = Decimal(1_000_000)
DOCUMENT_PREFIX = "project-documents"

MONITORING_KIND = "monitoring"
VERIFICATION_KIND = "verification"
APPROVAL_KIND = "verification_approval"
KINDS = (MONITORING_KIND, VERIFICATION_KIND, APPROVAL_KIND)

TRANSITIONS: dict[MonitoringStatus, frozenset[MonitoringStatus]] = {
    MonitoringStatus.RECORDED: frozenset({MonitoringStatus.VERIFICATION_PENDING}),
    MonitoringStatus.VERIFICATION_PENDING: frozenset({MonitoringStatus.VERIFIED}),
    MonitoringStatus.VERIFIED: frozenset(),
}


def transition(current: MonitoringStatus, target: MonitoringStatus) -> MonitoringStatus:
    if target not in TRANSITIONS[current]:
        if target is MonitoringStatus.VERIFICATION_PENDING:
            raise Conflict(_l("This monitoring period already has a verification."))
        if current is MonitoringStatus.VERIFIED:
            raise Conflict(_l("This verification was already approved."))
        raise Conflict(_l("Record the verification before approving it."))
    return target


@dataclass(frozen=True)
class PreparedDocument:
    data: bytes
    sha256: str

    @property
    def key(self) -> str:
        return document_key(self.sha256)

    @property
    def size(self) -> int:
        return len(self.data)


def document_key(sha256: str) -> str:
    return f"{DOCUMENT_PREFIX}/{sha256[:2]}/{sha256}.pdf"


def read_limited(stream, max_bytes: int = MAX_DOCUMENT_BYTES) -> bytes:
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise DomainError(
            _l("Documents may be at most %(mb)s MB.", mb=f"{max_bytes / 1_048_576:.3g}")
        )
    return data


def prepare_pdf(data: bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> PreparedDocument:
    """A PDF by its content (never its name), within the size limit."""
    if len(data) > max_bytes:
        raise DomainError(
            _l("Documents may be at most %(mb)s MB.", mb=f"{max_bytes / 1_048_576:.3g}")
        )
    if not data.startswith(PDF_MAGIC):
        raise DomainError(_l("Documents must be PDF files."))
    return PreparedDocument(data, hashlib.sha256(data).hexdigest())


def save(store: Store, document: PreparedDocument) -> bool:
    """Write the document (named by content); True if this call wrote it."""
    if store.exists(document.key):
        return False
    store.put(document.key, document.data)
    return True


def _require_admin(actor: User) -> None:
    if actor.role is not Role.ADMIN:
        raise Forbidden(_l("Only registry administrators may do this."))


def _text(value: str, limit: int, message) -> str:
    value = text_policy.normalise(value or "")
    why = text_policy.problem(value)
    if why is not None:
        raise DomainError(why)
    if not value or len(value) > limit:
        raise DomainError(message)
    return value


@dataclass(frozen=True)
class PeriodData:
    period_start: date
    period_end: date
    method: str
    area_ha: Decimal


@dataclass(frozen=True)
class VerificationData:
    verifier: str
    verified_kg: int
    price_per_tonne: Decimal


def max_area_ha(project: SinkProject) -> Decimal:
    if project.area_mu and project.area_mu > 0:
        return (Decimal(project.area_mu) / MU_PER_HA).quantize(Decimal("0.01"))
    return MAX_AREA_HA


def _check_period(project: SinkProject, data: PeriodData, now: datetime) -> tuple[str, Decimal]:
    if data.period_end < data.period_start:
        raise DomainError(_l("The monitoring period must end after it starts."))
    if data.period_end > today(now):
        raise DomainError(_l("A monitoring period cannot end in the future."))
    method = _text(
        data.method, 200, _l("Please describe the monitoring method (at most 200 characters).")
    )
    try:
        area = Decimal(data.area_ha).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError(_l("The area must be a number of hectares.")) from None
    limit = max_area_ha(project)
    if not (Decimal(0) < area <= limit):
        raise DomainError(
            _l(
                "The monitored area must be more than 0 and at most %(limit)s ha "
                "(the project's area).",
                limit=f"{limit:,}",
            )
        )
    return method, area


def record_period(
    session: Session,
    project: SinkProject,
    data: PeriodData,
    report: PreparedDocument,
    *,
    actor: User,
    now: datetime | None = None,
) -> MonitoringPeriod:
    _require_admin(actor)
    now = now or utcnow()
    method, area = _check_period(project, data, now)
    head = ledger.lock_head(session)
    period = MonitoringPeriod(
        project_id=project.id,
        period_start=data.period_start,
        period_end=data.period_end,
        method=method,
        area_ha=area,
        status=MonitoringStatus.RECORDED,
        report_key=report.key,
        report_sha256=report.sha256,
        report_bytes=report.size,
        recorded_by_id=actor.id,
        recorded_at=now,
    )
    session.add(period)
    session.flush()
    ledger.append(
        session,
        head,
        MONITORING_KIND,
        monitoring_body(period, project),
        now=now,
        project_id=project.id,
    )
    audit.record(session, "registry.monitoring_recorded", actor=actor, subject=period)
    return period


def record_verification(
    session: Session,
    period: MonitoringPeriod | None,
    data: VerificationData,
    statement: PreparedDocument,
    *,
    actor: User,
    now: datetime | None = None,
) -> MonitoringPeriod:
    _require_admin(actor)
    if period is None:
        raise DomainError(_l("A verification needs a recorded monitoring period."))
    now = now or utcnow()
    verifier = _text(
        data.verifier, 160, _l("Please give the verifier's name (at most 160 characters).")
    )
    if not 0 < data.verified_kg <= issuance_service.MAX_ISSUANCE_KG:
        raise DomainError(_l("The verified quantity must be between 1 kg and 10,000,000 t."))
    if not Decimal(0) <= data.price_per_tonne <= issuance_service.MAX_PRICE:
        raise DomainError(_l("The price must be between ¥0 and ¥100,000 per tonne."))
    head = ledger.lock_head(session)
    session.refresh(period, with_for_update=True)
    period.status = transition(period.status, MonitoringStatus.VERIFICATION_PENDING)
    period.verifier = verifier
    period.verified_kg = data.verified_kg
    period.price_per_tonne = data.price_per_tonne.quantize(Decimal("0.01"))
    period.statement_key = statement.key
    period.statement_sha256 = statement.sha256
    period.statement_bytes = statement.size
    period.verification_recorded_by_id = actor.id
    period.verification_recorded_at = now
    ledger.append(
        session,
        head,
        VERIFICATION_KIND,
        verification_body(period, period.project),
        project_id=period.project_id,
        now=now,
    )
    audit.record(
        session,
        "registry.verification_recorded",
        actor=actor,
        subject=period,
        verified_kg=data.verified_kg,
    )
    return period


def approve_verification(
    session: Session, period: MonitoringPeriod, *, actor: User, now: datetime | None = None
) -> delivery.Settlement:
    """Maker-checker: a second administrator approves; then the tonnes are delivered."""
    _require_admin(actor)
    now = now or utcnow()
    head = ledger.lock_head(session)
    session.refresh(period, with_for_update=True)
    if period.status is MonitoringStatus.VERIFICATION_PENDING and (
        actor.id == period.verification_recorded_by_id
    ):
        raise Forbidden(
            _l(
                "A verification must be approved by a different administrator "
                "than the one who recorded it."
            )
        )
    period.status = transition(period.status, MonitoringStatus.VERIFIED)
    period.verification_approved_by_id = actor.id
    period.approved_at = now
    project = period.project
    recorder = session.get(User, period.verification_recorded_by_id)
    issued = issuance_service.draft(
        session,
        project,
        issuance_service.IssuanceDraft(
            vintage=period.period_end.year,
            period_start=period.period_start,
            period_end=period.period_end,
            quantity_kg=period.verified_kg,
            price_per_tonne=period.price_per_tonne,
            delivery=Delivery.VERIFIED,
            note=f"monitoring period {period.id}",
        ),
        actor=recorder,
        now=now,
    )
    issuance_service.approve(session, issued, actor=actor, now=now)
    period.issuance_id = issued.id
    head = ledger.lock_head(session)
    result = delivery.settle(session, head, period, issued, now=now)
    ledger.append(
        session,
        head,
        APPROVAL_KIND,
        {
            "period": period.id,
            "project": project.code,
            "issuance": issued.id,
            "settled_kg": result.settled_kg,
            "settled": [a.settles_allocation_id for a in result.settled],
            "from_stock_kg": result.from_stock_kg,
            "shortfall_kg": result.unsettled_kg,
        },
        project_id=project.id,
        now=now,
    )
    if result.unsettled_kg == 0 and issued.available_kg > 0:
        issuance_service.set_status(session, issued, IssuanceStatus.ON_SALE, actor=actor, now=now)
    elif issued.available_kg == 0:
        issuance_service.set_status(session, issued, IssuanceStatus.CLOSED, actor=actor, now=now)
    audit.record(
        session,
        "registry.verification_approved",
        actor=actor,
        subject=period,
        settled_kg=result.settled_kg,
    )
    return result


# --- public bodies (what the ledger and `registry verify` compare) -----------------------


def monitoring_body(period: MonitoringPeriod, project: SinkProject) -> dict[str, object]:
    return {
        "period": period.id,
        "project": project.code,
        "dates": [period.period_start.isoformat(), period.period_end.isoformat()],
        "method": period.method,
        "area_ha": str(period.area_ha),
        "report_sha256": period.report_sha256,
        "report_bytes": period.report_bytes,
    }


def verification_body(period: MonitoringPeriod, project: SinkProject) -> dict[str, object]:
    return {
        "period": period.id,
        "project": project.code,
        "verifier": period.verifier,
        "verified_kg": period.verified_kg,
        "price_per_tonne": str(period.price_per_tonne),
        "statement_sha256": period.statement_sha256,
        "statement_bytes": period.statement_bytes,
    }


def periods_of(session: Session, project: SinkProject) -> list[MonitoringPeriod]:
    return list(
        session.scalars(
            select(MonitoringPeriod)
            .where(MonitoringPeriod.project_id == project.id)
            .order_by(MonitoringPeriod.period_start, MonitoringPeriod.id)
        )
    )


def find_document(session: Session, sha256: str) -> tuple[MonitoringPeriod, str] | None:
    """The period holding a document with this hash and its storage key."""
    period = session.scalar(
        select(MonitoringPeriod)
        .where(
            (MonitoringPeriod.report_sha256 == sha256)
            | (MonitoringPeriod.statement_sha256 == sha256)
        )
        .limit(1)
    )
    if period is None:
        return None
    key = period.report_key if period.report_sha256 == sha256 else period.statement_key
    return period, key
