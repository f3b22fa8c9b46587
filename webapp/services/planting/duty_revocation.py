"""Revoking duty certificates (义务植树尽责证明): by staff with a note, or automatically
when an order they counted is refunded.

A certificate states the year's figures as they stood when it was issued. It counted an
order when the order is of a kind in ``duty.DUTY_ORDER_KINDS``, belongs to the holder, was
paid in the certificate's (local) year and before the certificate was issued: the record
counts every such paid order at that moment. When that order is refunded, every standing
certificate that counted it is revoked in the refund's own transaction
(:func:`revoke_for_refund`, called by ``payments.refunds``), so no check page can say VALID
once the refund has committed. The holder can then download a new certificate with the
current figures (``duty.issue`` never hands out a revoked one).

Every revocation goes through :func:`_revoke`, which writes the audit record and announces
:class:`~webapp.services.messages.DutyCertificateRevoked` (the holder's e-mail, after the
commit). The check pages read the row on every request: nothing is cached to go stale.

Locks: the holder's account row (``FOR NO KEY UPDATE``) is taken by :func:`revoke_for_refund`
and by ``duty.issue``, so a certificate being issued while an order it would count is
refunded waits for the refund and then counts without it.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

import webapp.localtime as localtime
from webapp.errors import Conflict, DomainError
from webapp.models import DutyCertificate, DutyRevocationReason, Order, User
from webapp.models.base import utcnow
from webapp.models.planting import MAX_DUTY_NOTE
from webapp.services import audit, text_policy
from webapp.services.messages import DutyCertificateRevoked
from webapp.services.planting.duty import DUTY_ORDER_KINDS, lock_holder
from webapp.unit_of_work import after_commit


def _revoke(
    session: Session,
    certificate: DutyCertificate,
    reason: DutyRevocationReason,
    *,
    actor: User | None,
    note: str | None,
    now: datetime,
    **details: object,
) -> None:
    certificate.revoked_at = now
    certificate.revocation_reason = reason
    certificate.revoked_by_id = actor.id if actor is not None else None
    certificate.revocation_note = note
    session.flush()
    audit.record(
        session,
        "duty_certificate.revoked",
        actor=actor,
        subject=certificate,
        public_id=certificate.public_id,
        reason=reason.value,
        **details,
    )
    after_commit(session, DutyCertificateRevoked(certificate.id))


def check_note(note: str | None) -> str:
    """A staff note, normalised; DomainError (localised) if empty, too long or unclean."""
    try:
        note = text_policy.clean(note, limit=MAX_DUTY_NOTE, multiline=True)
    except text_policy.TextRefused as exc:
        raise DomainError(exc.message) from exc
    if not note:
        raise DomainError(_l("Please say why the certificate is revoked (at most 200 characters)."))
    return note


def revoke(
    session: Session,
    certificate: DutyCertificate,
    *,
    note: str,
    actor: User,
    now: datetime | None = None,
) -> DutyCertificate:
    """Staff revoke ``certificate``; their note is shown wherever it is checked.

    A certificate already revoked is refused with a Conflict naming when, and unchanged."""
    note = check_note(note)
    session.refresh(certificate, with_for_update=True)
    if certificate.revoked_at is not None:
        raise Conflict(
            _l(
                "Duty certificate %(id)s was already revoked on %(date)s; nothing was changed.",
                id=certificate.public_id,
                date=localtime.local_date(certificate.revoked_at).isoformat(),
            )
        )
    _revoke(
        session,
        certificate,
        DutyRevocationReason.STAFF,
        actor=actor,
        note=note,
        now=now or utcnow(),
    )
    return certificate


def _counted_query(order: Order):
    year = localtime.local_date(order.paid_at).year  # type: ignore[arg-type]
    return (
        select(DutyCertificate)
        .where(
            DutyCertificate.user_id == order.user_id,
            DutyCertificate.year == year,
            DutyCertificate.revoked_at.is_(None),
            DutyCertificate.issued_at >= order.paid_at,
        )
        .order_by(DutyCertificate.id)
    )


def counted_on(session: Session, order: Order) -> list[DutyCertificate]:
    """The standing duty certificates that counted ``order`` (for a refund's confirmation
    page: what the refund would revoke). Nothing is changed."""
    if order.kind not in DUTY_ORDER_KINDS or order.paid_at is None:
        return []
    return list(session.scalars(_counted_query(order)))


def revoke_for_refund(
    session: Session, order: Order, *, now: datetime | None = None
) -> list[DutyCertificate]:
    """Revoke every standing duty certificate that counted ``order``, which is being
    refunded in this transaction (full or partial: the figures it stated no longer hold).
    Automatic: nobody is named. Returns the certificates revoked."""
    if order.kind not in DUTY_ORDER_KINDS or order.paid_at is None:
        return []
    lock_holder(session, order.user_id)
    now = now or utcnow()
    revoked = list(session.scalars(_counted_query(order).with_for_update()))
    for certificate in revoked:
        _revoke(
            session,
            certificate,
            DutyRevocationReason.REFUNDED,
            actor=None,
            note=None,
            now=now,
            order=order.ref,
        )
    return revoked
