"""Plots of memorial forest sites (认建认养), the species offered, and rangers' updates.

A plot moves through one state machine (``services/plots/states.py``):
available → reserved → sponsored → planted → inspected, failed → replanted. The database
backs up what the services enforce: a reserved plot has a holder and an expiry, a
sponsored plot has a sponsor, a planted plot has a planting date.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.accounts import User
from webapp.models.base import Base, UTCDateTime, str_enum, utcnow
from webapp.models.projects import Bilingual, MemorialSite
from webapp.models.registry import Delivery, Privacy

MAX_PLOT_CODE = 16  # printed on plaques and carried by plot certificates
MAX_DEDICATION_MESSAGE = 120


class PlotStatus(enum.StrEnum):
    AVAILABLE = "available"
    RESERVED = "reserved"  # held for a pending order until reserved_until
    SPONSORED = "sponsored"  # paid for; waiting for the planting season
    PLANTED = "planted"
    INSPECTED = "inspected"
    FAILED = "failed"  # the planting did not survive; to be replanted
    REPLANTED = "replanted"


# Statuses in which a plot has a sponsor (everything after the payment).
SPONSORED_STATUSES = (
    PlotStatus.SPONSORED,
    PlotStatus.PLANTED,
    PlotStatus.INSPECTED,
    PlotStatus.FAILED,
    PlotStatus.REPLANTED,
)
PLANTED_STATUSES = (
    PlotStatus.PLANTED,
    PlotStatus.INSPECTED,
    PlotStatus.FAILED,
    PlotStatus.REPLANTED,
)


class DedicationKind(enum.StrEnum):
    MEMORIAL = "memorial"  # 纪念
    WEDDING = "wedding"  # 喜事
    BIRTH = "birth"  # 出生
    GRADUATION = "graduation"  # 毕业
    COMPANY = "company"  # 企业
    OTHER = "other"


class PlotUpdateKind(enum.StrEnum):
    PLANTED = "planted"
    INSPECTED = "inspected"
    FAILED = "failed"
    REPLANTED = "replanted"


def _in(column: str, values: tuple[enum.StrEnum, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class SiteSpecies(Bilingual, Base):
    """A species planted at a site, with its projected (ex-ante) sequestration rate.

    The rate comes from the sourced factor set: ``factor_set`` / ``factor_id`` name it and
    ``source`` / ``source_url`` say where it was published. It is an expectation for the
    years after planting, never a measured (delivered) quantity.
    """

    __tablename__ = "site_species"
    __table_args__ = (
        UniqueConstraint("site_id", "code"),
        CheckConstraint("rate_t_per_mu_year > 0", name="rate_positive"),
        CheckConstraint("projection_years > 0", name="projection_years_positive"),
        CheckConstraint("delivery = 'projected'", name="rate_is_projected"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("memorial_sites.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(80))
    scientific_name: Mapped[str] = mapped_column(String(120), default="")
    # Expected tCO2e per mu (亩) per year, from the factor named below.
    rate_t_per_mu_year: Mapped[Decimal] = mapped_column(Numeric(8, 4))
    factor_set: Mapped[str] = mapped_column(String(16))
    factor_id: Mapped[str] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(300))
    source_url: Mapped[str | None] = mapped_column(String(500))
    delivery: Mapped[Delivery] = mapped_column(str_enum(Delivery), default=Delivery.PROJECTED)
    # Years of growth the projection covers, counted from the planting year.
    projection_years: Mapped[int] = mapped_column(Integer, default=20)
    planting_seasons_zh: Mapped[str] = mapped_column(String(120), default="")
    planting_seasons_en: Mapped[str] = mapped_column(String(160), default="")
    note_zh: Mapped[str] = mapped_column(Text, default="")
    note_en: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[MemorialSite] = relationship()


class Plot(Base):
    __tablename__ = "plots"
    __table_args__ = (
        UniqueConstraint("site_id", "code"),
        CheckConstraint("length(code) BETWEEN 1 AND 16", name="code_length"),
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint("area_mu IS NOT NULL OR tree_count IS NOT NULL", name="has_area_or_trees"),
        CheckConstraint("area_mu IS NULL OR area_mu > 0", name="area_positive"),
        CheckConstraint("tree_count IS NULL OR tree_count > 0", name="trees_positive"),
        CheckConstraint(
            "polygon IS NOT NULL"
            " OR (centroid_x IS NOT NULL AND centroid_y IS NOT NULL AND size_m > 0)",
            name="has_geometry",
        ),
        CheckConstraint(
            "status <> 'reserved' OR (holder_ref IS NOT NULL AND reserved_until IS NOT NULL)",
            name="reserved_has_holder",
        ),
        CheckConstraint(
            f"NOT {_in('status', SPONSORED_STATUSES)}"
            " OR (sponsor_user_id IS NOT NULL AND sponsor_name IS NOT NULL"
            " AND sponsor_privacy IS NOT NULL AND sponsored_at IS NOT NULL)",
            name="sponsored_has_sponsor",
        ),
        CheckConstraint(
            f"NOT {_in('status', PLANTED_STATUSES)} OR planted_on IS NOT NULL",
            name="planted_has_date",
        ),
        CheckConstraint(
            "dedication_message IS NULL OR length(dedication_message) <= 120",
            name="dedication_message_length",
        ),
        Index("ix_plots_status_reserved_until", "status", "reserved_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("memorial_sites.id"))
    code: Mapped[str] = mapped_column(String(MAX_PLOT_CODE))
    # Geometry in the site's local metre grid (x east, y north): a polygon of [x, y] points,
    # or a centroid and the side of a square around it.
    polygon: Mapped[list[list[float]] | None] = mapped_column(JSON(none_as_null=True))
    centroid_x: Mapped[Decimal | None] = mapped_column(Numeric(9, 2))
    centroid_y: Mapped[Decimal | None] = mapped_column(Numeric(9, 2))
    size_m: Mapped[Decimal | None] = mapped_column(Numeric(9, 2))
    area_mu: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    tree_count: Mapped[int | None] = mapped_column(Integer)
    species_id: Mapped[int] = mapped_column(ForeignKey("site_species.id"), index=True)
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    status: Mapped[PlotStatus] = mapped_column(
        str_enum(PlotStatus, length=16), default=PlotStatus.AVAILABLE
    )
    # Reservation: the order (or other holder) that holds the plot, and until when.
    # Kept after sponsorship so the same holder's retries stay idempotent.
    holder_ref: Mapped[str | None] = mapped_column(String(64), index=True)
    reserved_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Sponsorship and dedication. ``sponsor_public`` is the name as the sponsor allowed it
    # to be shown (None: anonymous); public pages and the API use only it.
    sponsor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    sponsor_name: Mapped[str | None] = mapped_column(String(120))
    sponsor_privacy: Mapped[Privacy | None] = mapped_column(str_enum(Privacy))
    sponsor_public: Mapped[str | None] = mapped_column(String(120))
    sponsor_locale: Mapped[str | None] = mapped_column(String(8))
    dedication_kind: Mapped[DedicationKind | None] = mapped_column(
        str_enum(DedicationKind, length=16)
    )
    dedication_message: Mapped[str | None] = mapped_column(String(MAX_DEDICATION_MESSAGE))
    sponsored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    planted_on: Mapped[date | None] = mapped_column(Date)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[MemorialSite] = relationship()
    species: Mapped[SiteSpecies] = relationship()
    sponsor: Mapped[User | None] = relationship(foreign_keys=[sponsor_user_id])
    updates: Mapped[list[PlotUpdate]] = relationship(
        back_populates="plot", order_by="PlotUpdate.created_at.desc(), PlotUpdate.id.desc()"
    )

    @property
    def is_sponsored(self) -> bool:
        return self.status in SPONSORED_STATUSES


class PlotUpdate(Base):
    """A ranger's report on a plot: planted, inspected, failed or replanted."""

    __tablename__ = "plot_updates"
    __table_args__ = (
        CheckConstraint("survival_count IS NULL OR survival_count >= 0", name="survival_count"),
        # Plots alive (issue 18): trees replanted on this visit.
        CheckConstraint("replanted_count IS NULL OR replanted_count >= 0", name="replanted_count"),
        Index("ix_plot_updates_plot_created", "plot_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plot_id: Mapped[int] = mapped_column(ForeignKey("plots.id"))
    kind: Mapped[PlotUpdateKind] = mapped_column(str_enum(PlotUpdateKind, length=16))
    survival_count: Mapped[int | None] = mapped_column(Integer)
    replanted_count: Mapped[int | None] = mapped_column(Integer)  # plots alive (issue 18)
    note: Mapped[str] = mapped_column(Text, default="")
    ranger_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    plot: Mapped[Plot] = relationship(back_populates="updates")
    ranger: Mapped[User] = relationship()
    photos: Mapped[list[PlotPhoto]] = relationship(back_populates="update", order_by="PlotPhoto.id")


class PlotPhoto(Base):
    """A photo of an update, stored re-encoded as JPEG without EXIF (path relative to
    ``PLOT_PHOTO_DIR``, named by its SHA-256)."""

    __tablename__ = "plot_photos"
    __table_args__ = (
        CheckConstraint("width > 0 AND height > 0", name="dimensions_positive"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("plot_updates.id"), index=True)
    path: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    update: Mapped[PlotUpdate] = relationship(back_populates="photos")


class RangerAssignment(Base):
    """A ranger (护林员) may report on the plots of the sites they are assigned to."""

    __tablename__ = "ranger_assignments"
    __table_args__ = (UniqueConstraint("user_id", "site_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("memorial_sites.id"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    site: Mapped[MemorialSite] = relationship()


class SitePhoto(Base):
    """A photo of a memorial site, re-encoded as JPEG without metadata like plot photos
    (path relative to ``PLOT_PHOTO_DIR``, named by its SHA-256)."""

    __tablename__ = "site_photos"
    __table_args__ = (
        CheckConstraint("width > 0 AND height > 0", name="dimensions_positive"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("memorial_sites.id"), index=True)
    path: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    caption_zh: Mapped[str] = mapped_column(String(120), default="")
    caption_en: Mapped[str] = mapped_column(String(160), default="")
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[MemorialSite] = relationship()
