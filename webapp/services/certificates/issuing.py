"""Create certificate rows (with their signed token) and revoke them.

Rendering the PDF is a side effect done after the commit (see ``documents``); the row
is the certificate: its public id, what the token asserts, and whether it still stands.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.errors import DomainError
from webapp.localtime import local_date
from webapp.models import Certificate, CertificateStatus, Privacy, User
from webapp.models.base import utcnow
from webapp.services import audit
from webapp.services.certificates.ids import generate_public_id
from webapp.services.certificates.token import CertificateKind, TokenClaims, encode_token
from webapp.services.messages import CertificateChanged
from webapp.services.registry import ledger
from webapp.services.registry.privacy import display_name
from webapp.services.signing import SigningKey
from webapp.unit_of_work import after_commit

MAX_REASON = 200


def _new_public_id(session: Session) -> str:
    # 49.5 bits of randomness: a collision is astronomically rare, but check anyway.
    while True:
        candidate = generate_public_id()
        if session.scalar(select(Certificate.id).where(Certificate.public_id == candidate)) is None:
            return candidate


def issue(
    session: Session,
    *,
    key: SigningKey,
    kind: CertificateKind,
    holder_name: str,
    privacy: Privacy,
    locale: str,
    owner: User | None,
    quantity_kg: int | None = None,
    plot_code: str | None = None,
    plot_id: int | None = None,
    order_id: int | None = None,
    allocation_id: int | None = None,
    parent: Certificate | None = None,
    issued_on: date | None = None,
    now: datetime | None = None,
) -> Certificate:
    """A new valid certificate with a signed token; flushed, not committed."""
    now = now or utcnow()
    issued_on = issued_on or local_date(now)  # the day people lived it, not the UTC day
    public_id = _new_public_id(session)
    claims = TokenClaims(
        public_id=public_id,
        kind=kind,
        issued_on=issued_on,
        quantity_kg=quantity_kg,
        plot_code=plot_code,
    )
    certificate = Certificate(
        public_id=public_id,
        kind=kind,
        status=CertificateStatus.VALID,
        holder_name=holder_name.strip(),
        holder_public=display_name(holder_name, privacy),
        privacy=privacy,
        locale=locale,
        quantity_kg=quantity_kg,
        plot_code=plot_code,
        plot_id=plot_id,
        issued_on=issued_on,
        token=encode_token(key, claims),
        key_id=key.key_id,
        owner_id=owner.id if owner is not None else None,
        order_id=order_id,
        allocation_id=allocation_id,
        parent_id=parent.id if parent is not None else None,
        created_at=now,
    )
    session.add(certificate)
    session.flush()
    return certificate


def revoke(
    session: Session,
    certificate: Certificate,
    *,
    reason: str,
    actor: User | None,
    now: datetime | None = None,
) -> Certificate:
    """Revoke a certificate (and the personal certificates issued from it). Idempotent."""
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise DomainError(_l("Please give a reason for revoking (at most 200 characters)."))
    now = now or utcnow()
    # Registry writes take the ledger head first (then rows), so this cannot deadlock with
    # a refund that reverses serials and then revokes.
    head = ledger.lock_head(session)
    session.refresh(certificate, with_for_update=True)
    if certificate.status is CertificateStatus.REVOKED:
        return certificate
    children = session.scalars(
        select(Certificate).where(
            Certificate.parent_id == certificate.id,
            Certificate.status == CertificateStatus.VALID,
        )
    )
    revoked = [certificate, *children]
    for item in revoked:
        item.status = CertificateStatus.REVOKED
        item.revoked_at = now
        item.revocation_reason = reason
        item.revoked_by_id = actor.id if actor is not None else None
        after_commit(session, CertificateChanged(item.public_id))
        audit.record(
            session,
            "certificate.revoked",
            actor=actor,
            subject=item,
            public_id=item.public_id,
            reason=reason,
        )
    # Public: which certificates stopped standing, so `registry verify` can prove the
    # status column in both directions. Never the reason (it may name a refund or a person).
    ledger.append(
        session,
        head,
        "revocation",
        {"certificates": sorted(item.public_id for item in revoked)},
        now=now,
    )
    return certificate
