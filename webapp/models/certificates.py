"""Issued certificates (证书): one row per certificate, whatever its kind.

The row holds exactly what the signed QR token asserts (kind, quantity or plot, issue
date, key), who may see the holder's name, and the state of its PDF. The primary key is
also the certificate's index in the public revocation list (bitstring status list).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.accounts import User
from webapp.models.base import Base, UTCDateTime, str_enum, utcnow
from webapp.models.registry import Allocation, Privacy


class CertificateKind(enum.StrEnum):
    """What a certificate attests: an offset (retired credits), a plot sponsorship
    (a contribution), or a zero-carbon event's offset."""

    OFFSET = "offset"
    PLOT = "plot"
    EVENT = "event"


class CertificateStatus(enum.StrEnum):
    VALID = "valid"
    REVOKED = "revoked"


class Certificate(Base):
    __tablename__ = "certificates"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'plot') = (plot_code IS NOT NULL)", name="plot_code_for_plots_only"
        ),
        CheckConstraint("kind = 'plot' OR quantity_kg > 0", name="quantity_for_offsets_and_events"),
        CheckConstraint("status <> 'revoked' OR revoked_at IS NOT NULL", name="revoked_has_time"),
        Index("ix_certificates_owner_created", "owner_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(10), unique=True)
    kind: Mapped[CertificateKind] = mapped_column(str_enum(CertificateKind, length=8))
    status: Mapped[CertificateStatus] = mapped_column(
        str_enum(CertificateStatus, length=8), default=CertificateStatus.VALID
    )
    holder_name: Mapped[str] = mapped_column(String(120))
    # The holder's name as they allowed it to be shown publicly (None: anonymous).
    holder_public: Mapped[str | None] = mapped_column(String(120))
    privacy: Mapped[Privacy] = mapped_column(str_enum(Privacy))
    locale: Mapped[str] = mapped_column(String(8), default="zh_CN")
    quantity_kg: Mapped[int | None] = mapped_column(BigInteger)
    # Event certificates: the organiser's share of the footprint stated when issued (the
    # order's figure changes when a partial refund re-issues the certificate).
    event_cover_kg: Mapped[int | None] = mapped_column(BigInteger)
    plot_code: Mapped[str | None] = mapped_column(String(16))
    issued_on: Mapped[date] = mapped_column(Date)
    token: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[str] = mapped_column(String(64))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    allocation_id: Mapped[int | None] = mapped_column(ForeignKey("allocations.id"), index=True)
    # A personal certificate for a share of another certificate's retirement (bulk issue).
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"), index=True)
    # The sponsored plot of a plot certificate (its code alone is unique only per site).
    plot_id: Mapped[int | None] = mapped_column(ForeignKey("plots.id"), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revocation_reason: Mapped[str | None] = mapped_column(String(200))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    pdf_size: Mapped[int | None] = mapped_column(Integer)
    pdf_design_version: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    allocation: Mapped[Allocation | None] = relationship()
