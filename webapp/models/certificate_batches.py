"""Bulk issues of personal certificates (批量个人证书) and the job that renders them.

An organiser who holds a valid offset certificate shares its retired tonnes out among a
list of people. The personal certificates are created with the batch, in one
transaction; the batch row then tracks the background job that renders their PDFs and
packs them into one ZIP file.

The batch's certificates are those with ``parent_id = parent_id`` and an id between
``first_certificate_id`` and ``last_certificate_id``: shares of one parent are issued
under a lock on the parent row, so no other batch's certificates can fall in between.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.accounts import User
from webapp.models.base import Base, UTCDateTime, str_enum, utcnow
from webapp.models.certificates import Certificate


class BatchStatus(enum.StrEnum):
    QUEUED = "queued"  # certificates issued, PDFs not rendered yet
    RUNNING = "running"  # a worker is rendering
    DONE = "done"  # every PDF rendered and the ZIP written
    FAILED = "failed"  # the job stopped; `error` says why; it can be run again


class CertificateBatch(Base):
    __tablename__ = "certificate_batches"
    __table_args__ = (
        CheckConstraint("total > 0", name="total_positive"),
        CheckConstraint("done >= 0 AND done <= total", name="done_within_total"),
        CheckConstraint("quantity_kg > 0", name="quantity_positive"),
        Index("ix_certificate_batches_owner_created", "owner_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    parent_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    status: Mapped[BatchStatus] = mapped_column(
        str_enum(BatchStatus, length=8), default=BatchStatus.QUEUED
    )
    total: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    quantity_kg: Mapped[int] = mapped_column(BigInteger)
    first_certificate_id: Mapped[int] = mapped_column(Integer)
    last_certificate_id: Mapped[int] = mapped_column(Integer)
    # RQ job id when a worker queue runs the job (None: run in-process).
    job_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(String(200))
    # ZIP of every PDF, relative to CERTIFICATE_DIR.
    zip_path: Mapped[str | None] = mapped_column(String(255))
    zip_sha256: Mapped[str | None] = mapped_column(String(64))
    zip_size: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner: Mapped[User] = relationship()
    parent: Mapped[Certificate] = relationship()

    @property
    def percent(self) -> int:
        return (100 * self.done) // self.total if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (BatchStatus.DONE, BatchStatus.FAILED)
