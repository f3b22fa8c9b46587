"""Stored footprint calculations (household or event), reproducible from their inputs.

A row keeps the factor-set version, the validated and normalised input and the engine's
result (``FootprintResult.to_dict()``), so the same figures can be recomputed and checked
after factors change (docs/METHODOLOGY.md §1).  ``total_g`` is the total rounded half-up to
whole grams, for listing and sorting only; the exact figure is ``result["total_kg"]``.
The largest total the validation limits allow (an event with 100 travel rows of 1,000,000
long-haul travellers) is about 1.05e18 g, inside a BIGINT.

Rows are reached in two ways: by their owner (``user_id``) or, for calculations made
without an account, only through the unguessable ``token`` in their URL.  Issue 8 links an
event's estimate and actual calculations from the events table; this table stays generic.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.models.base import Base, UTCDateTime, utcnow


class CalculationKind(enum.StrEnum):
    HOUSEHOLD = "household"  # one household, one year
    EVENT = "event"  # one meeting or event, whole event


class FootprintCalculation(Base):
    __tablename__ = "footprint_calculations"
    __table_args__ = (
        CheckConstraint("total_g >= 0", name="total_non_negative"),
        Index("ix_footprint_calculations_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[CalculationKind] = mapped_column(
        Enum(
            CalculationKind,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    factor_set: Mapped[str] = mapped_column(String(32))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    total_g: Mapped[int] = mapped_column(BigInteger)
    label: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<FootprintCalculation {self.id} {self.kind.value}>"
