"""Monitoring periods (计量监测) and their verification (核证) for a sink project.

A period is recorded by staff with the monitoring report (a PDF kept in the storage
interface, named by its SHA-256); a verification adds the verifier's statement and the
verified tonnes (integer kg); a second, different administrator approves it before it
counts. The approved verification becomes a delivered issuance that first settles the
project's projected (ex-ante) retirements (see ``services/registry/delivery.py``).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, UTCDateTime, str_enum, utcnow
from webapp.models.projects import SinkProject


class MonitoringStatus(enum.StrEnum):
    RECORDED = "recorded"  # the period and its monitoring report
    VERIFICATION_PENDING = "verification_pending"  # statement recorded, awaiting a 2nd admin
    VERIFIED = "verified"  # approved: the verified tonnes were issued and delivered


class MonitoringPeriod(Base):
    __tablename__ = "monitoring_periods"
    __table_args__ = (
        CheckConstraint("period_end >= period_start", name="period_order"),
        CheckConstraint("area_ha > 0", name="area_positive"),
        CheckConstraint("verified_kg IS NULL OR verified_kg > 0", name="verified_positive"),
        CheckConstraint(
            "verification_approved_by_id IS NULL "
            "OR verification_approved_by_id <> verification_recorded_by_id",
            name="maker_checker",
        ),
        CheckConstraint(
            "status = 'recorded' OR (verified_kg IS NOT NULL AND statement_sha256 IS NOT NULL)",
            name="verification_complete",
        ),
        Index("ix_monitoring_periods_project", "project_id", "period_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("sink_projects.id"))
    period_start: Mapped[date] = mapped_column()
    period_end: Mapped[date] = mapped_column()
    method: Mapped[str] = mapped_column(String(200))
    area_ha: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    status: Mapped[MonitoringStatus] = mapped_column(
        str_enum(MonitoringStatus), default=MonitoringStatus.RECORDED
    )
    report_key: Mapped[str] = mapped_column(String(120))
    report_sha256: Mapped[str] = mapped_column(String(64))
    report_bytes: Mapped[int] = mapped_column(Integer)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The verification (核证), once recorded.
    verifier: Mapped[str | None] = mapped_column(String(160))
    verified_kg: Mapped[int | None] = mapped_column(BigInteger)
    price_per_tonne: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    statement_key: Mapped[str | None] = mapped_column(String(120))
    statement_sha256: Mapped[str | None] = mapped_column(String(64))
    statement_bytes: Mapped[int | None] = mapped_column(Integer)
    verification_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verification_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verification_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The delivered issuance made from the verified tonnes.
    issuance_id: Mapped[int | None] = mapped_column(ForeignKey("issuances.id"))

    project: Mapped[SinkProject] = relationship()
