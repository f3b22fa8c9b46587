"""Read-only look-ups of certificates for their owners, administrators and the CLI."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.models import Certificate, CertificateStatus, User
from webapp.models.certificate_batches import CertificateBatch
from webapp.services.certificates.ids import ALPHABET, LENGTH, normalize_public_id
from webapp.services.certificates.token import CertificateKind

_SEPARATORS = re.compile(r"[\s\-_]+")
_PREFIX = re.compile(f"[{ALPHABET}]{{1,{LENGTH}}}")


def by_public_id(session: Session, public_id: str) -> Certificate | None:
    canonical = normalize_public_id(public_id)
    if canonical is None:
        return None
    return session.scalar(select(Certificate).where(Certificate.public_id == canonical))


def id_prefix(text: str) -> str | None:
    """A public-id prefix from a search box ("7k3mp-q" → "7K3MPQ"), or None."""
    compact = _SEPARATORS.sub("", text or "").upper()
    return compact if _PREFIX.fullmatch(compact) else None


def owned_by(session: Session, user: User) -> list[Certificate]:
    """The user's own certificates, newest first (personal shares they issued excluded)."""
    return list(
        session.scalars(
            select(Certificate)
            .where(Certificate.owner_id == user.id, Certificate.parent_id.is_(None))
            .order_by(Certificate.created_at.desc(), Certificate.id.desc())
        )
    )


def share_counts(session: Session, parent_ids: list[int]) -> dict[int, int]:
    if not parent_ids:
        return {}
    rows = session.execute(
        select(Certificate.parent_id, func.count(Certificate.id))
        .where(Certificate.parent_id.in_(parent_ids))
        .group_by(Certificate.parent_id)
    )
    return {int(parent): int(count) for parent, count in rows}


def batches_of(session: Session, user: User, limit: int = 50) -> list[CertificateBatch]:
    return list(
        session.scalars(
            select(CertificateBatch)
            .where(CertificateBatch.owner_id == user.id)
            .order_by(CertificateBatch.id.desc())
            .limit(limit)
        )
    )


def search(
    session: Session,
    *,
    query: str = "",
    status: CertificateStatus | None = None,
    kind: CertificateKind | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[Certificate]:
    """Certificates newest first, filtered by public-id prefix, status and kind.

    A query that cannot be part of a public id matches nothing.
    """
    stmt = select(Certificate).order_by(Certificate.id.desc()).limit(limit)
    if query.strip():
        prefix = id_prefix(query)
        if prefix is None:
            return []
        stmt = stmt.where(Certificate.public_id.startswith(prefix, autoescape=True))
    if status is not None:
        stmt = stmt.where(Certificate.status == status)
    if kind is not None:
        stmt = stmt.where(Certificate.kind == kind)
    if before_id is not None:
        stmt = stmt.where(Certificate.id < before_id)
    return list(session.scalars(stmt))


def iter_all(
    session: Session,
    *,
    status: CertificateStatus | None = None,
    kind: CertificateKind | None = None,
    batch: int = 1000,
) -> Iterator[Certificate]:
    """Every certificate, oldest first, in batches (for the CLI)."""
    last = 0
    while True:
        stmt = select(Certificate).where(Certificate.id > last).order_by(Certificate.id)
        if status is not None:
            stmt = stmt.where(Certificate.status == status)
        if kind is not None:
            stmt = stmt.where(Certificate.kind == kind)
        rows = list(session.scalars(stmt.limit(batch)))
        if not rows:
            return
        yield from rows
        last = rows[-1].id
