"""Visits recorded by the rangers' offline scanner (``/scan``).

A visit is one certificate scan, optionally matched against a plot plaque, made on a
ranger's device (perhaps without signal) and uploaded later. The device generates the
visit's id (``client_id``, a UUID), so uploading the same log twice stores each visit
once. The server re-verifies the scanned token itself: ``result`` is its verdict,
``offline_result`` what the device showed. The same certificate scanned again on the same
local day (on another device, typically) is stored but flagged ``duplicate_of`` the first
scan, and is not counted on the public plot page.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.accounts import User
from webapp.models.base import Base, UTCDateTime, str_enum, utcnow
from webapp.models.plots import Plot

MAX_CLIENT_ID = 36  # a UUID in its canonical text form


class ScanResult(enum.StrEnum):
    VALID = "valid"  # genuine signature, a valid certificate in the registry
    REVOKED = "revoked"  # genuine signature, but the certificate was revoked
    INVALID = "invalid"  # altered, malformed or signed by a key we do not hold
    UNKNOWN = "unknown"  # genuine signature, but not a certificate we can place


class ScanVisit(Base):
    __tablename__ = "scan_visits"
    __table_args__ = (
        CheckConstraint("plaque_scanned OR matched IS NULL", name="match_needs_plaque"),
        CheckConstraint(
            "duplicate_of_id IS NULL OR duplicate_of_id <> id", name="not_own_duplicate"
        ),
        Index("ix_scan_visits_plot_scanned", "plot_id", "scanned_at"),
        Index("ix_scan_visits_certificate_day", "certificate_id", "visit_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(MAX_CLIENT_ID), unique=True)
    device_id: Mapped[str] = mapped_column(String(MAX_CLIENT_ID))
    ranger_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("memorial_sites.id"), index=True)
    plot_id: Mapped[int | None] = mapped_column(ForeignKey("plots.id"))
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    certificate_public_id: Mapped[str | None] = mapped_column(String(10))
    result: Mapped[ScanResult] = mapped_column(str_enum(ScanResult, length=8))
    offline_result: Mapped[ScanResult] = mapped_column(str_enum(ScanResult, length=8))
    plaque_scanned: Mapped[bool] = mapped_column(default=False)
    # Whether the certificate belongs to the scanned plaque's plot (None: no plaque).
    matched: Mapped[bool | None] = mapped_column()
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the device's clock
    visit_day: Mapped[date] = mapped_column(Date)  # scanned_at's date in Asia/Shanghai
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("scan_visits.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ranger: Mapped[User] = relationship(foreign_keys=[ranger_id])
    plot: Mapped[Plot | None] = relationship()
