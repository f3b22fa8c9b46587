"""Losses of carbon (碳流失) from a project's forest: fire, pests (松材线虫病), felling, storm,
drought. Reported by a ranger or staff member, confirmed by a second staff member; a
confirmed loss cancels buffer serials first, then unsold stock (services/registry/losses.py).

The database backs the rules: the reporter never confirms (CHECK), the cover of a
confirmed loss adds up to its estimate (CHECK), figures are positive and bounded.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.accounts import User
from webapp.models.base import Base, UTCDateTime, str_enum, utcnow
from webapp.models.projects import SinkProject


class LossCause(enum.StrEnum):
    FIRE = "fire"  # 森林火灾
    PESTS = "pests"  # 病虫害 (e.g. 松材线虫病, pine wilt)
    FELLING = "felling"  # 采伐 / 盗伐
    STORM = "storm"  # 风灾、雪灾
    DROUGHT = "drought"  # 干旱


class LossStatus(enum.StrEnum):
    REPORTED = "reported"  # waiting for a second staff member
    CONFIRMED = "confirmed"  # serials cancelled
    RESOLVED = "resolved"  # confirmed, and staff lifted the stop on sales it caused
    REJECTED = "rejected"  # not a loss (duplicate, mistaken report); nothing cancelled


class Loss(Base):
    __tablename__ = "losses"
    __table_args__ = (
        CheckConstraint("area_ha > 0", name="area_positive"),
        CheckConstraint("estimated_kg > 0 AND estimated_kg <= 10000000000", name="estimate_range"),
        CheckConstraint(
            "confirmed_by_id IS NULL OR confirmed_by_id <> reported_by_id", name="maker_checker"
        ),
        CheckConstraint(
            "buffer_kg >= 0 AND stock_kg >= 0 AND uncovered_kg >= 0", name="cover_non_negative"
        ),
        CheckConstraint(
            "status NOT IN ('confirmed', 'resolved') OR "
            "(confirmed_by_id IS NOT NULL AND buffer_kg + stock_kg + uncovered_kg = estimated_kg)",
            name="cover_adds_up",
        ),
        Index("ix_losses_project_status", "project_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("sink_projects.id"))
    cause: Mapped[LossCause] = mapped_column(str_enum(LossCause, length=16))
    occurred_on: Mapped[date] = mapped_column()
    area_ha: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    estimated_kg: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[LossStatus] = mapped_column(
        str_enum(LossStatus, length=16), default=LossStatus.REPORTED
    )
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How the confirmed loss was covered (kg): buffer serials, unsold stock, nothing.
    buffer_kg: Mapped[int] = mapped_column(BigInteger, default=0)
    stock_kg: Mapped[int] = mapped_column(BigInteger, default=0)
    uncovered_kg: Mapped[int] = mapped_column(BigInteger, default=0)
    # The buffer was short: sales of the project stop until staff resolve the loss.
    stops_sales: Mapped[bool] = mapped_column(default=False)
    cancellation_seq: Mapped[int | None] = mapped_column(BigInteger)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_note: Mapped[str] = mapped_column(Text, default="")

    project: Mapped[SinkProject] = relationship()
    reported_by: Mapped[User] = relationship(foreign_keys=[reported_by_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])
    photos: Mapped[list[LossPhoto]] = relationship(back_populates="loss", order_by="LossPhoto.id")

    @property
    def ref(self) -> str:
        return f"L-{self.id:05d}"

    @property
    def counted(self) -> bool:
        return self.status in (LossStatus.CONFIRMED, LossStatus.RESOLVED)

    @property
    def sales_stopped(self) -> bool:
        return self.status is LossStatus.CONFIRMED and self.stops_sales


class LossPhoto(Base):
    """A photo of a loss, stored like plot photos: re-encoded JPEG without EXIF, named
    by its SHA-256 in the photo store (services/plots/photos.py)."""

    __tablename__ = "loss_photos"
    __table_args__ = (
        CheckConstraint("width > 0 AND height > 0", name="dimensions_positive"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    loss_id: Mapped[int] = mapped_column(ForeignKey("losses.id"), index=True)
    path: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    loss: Mapped[Loss] = relationship(back_populates="photos")
