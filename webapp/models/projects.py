"""Sink projects (碳汇项目) and memorial forest sites (碳汇林纪念基地).

Both carry bilingual text: ``*_zh`` is authoritative, ``*_en`` its translation.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.models.base import Base, UTCDateTime, str_enum, utcnow


class ProjectType(enum.StrEnum):
    AFFORESTATION = "afforestation"  # 造林碳汇
    FOREST_MANAGEMENT = "forest_management"  # 森林经营
    BAMBOO = "bamboo"  # 竹林经营
    WETLAND = "wetland"  # 湿地


class SinkInstrument(enum.StrEnum):
    CCER = "ccer"
    FORESTRY_TICKET = "forestry_ticket"  # 林业碳票
    CARBON_PUHUI = "carbon_puhui"  # 碳普惠
    VOLUNTARY_PLANTING = "voluntary_planting"  # 义务植树


class RiskRating(enum.StrEnum):
    """Non-permanence risk of a project: sets the share of each delivered issuance
    withheld into the buffer pool (services/registry/buffer.py, docs/METHODOLOGY.md)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    # The programme that issued the credits already withholds a buffer for them (chosen
    # by staff only with that programme's buffer documented): nothing withheld here.
    EXTERNAL = "external"


class ProjectStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    CLOSED = "closed"


class Bilingual:
    """Pick the ``_zh`` or ``_en`` variant of a text field for a locale."""

    def text(self, field: str, locale: str) -> str:
        lang = "en" if str(locale).startswith("en") else "zh"
        value = getattr(self, f"{field}_{lang}", None)
        return value or getattr(self, f"{field}_zh")


class SinkProject(Bilingual, Base):
    __tablename__ = "sink_projects"
    __table_args__ = (
        CheckConstraint("area_mu >= 0", name="area_non_negative"),
        CheckConstraint(
            "crediting_end IS NULL OR crediting_end >= crediting_start",
            name="crediting_period_order",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Short uppercase code used in serial numbers, e.g. TA-CLS.
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(160))
    type: Mapped[ProjectType] = mapped_column(str_enum(ProjectType))
    instrument: Mapped[SinkInstrument] = mapped_column(str_enum(SinkInstrument))
    status: Mapped[ProjectStatus] = mapped_column(
        str_enum(ProjectStatus), default=ProjectStatus.DRAFT
    )
    province: Mapped[str] = mapped_column(String(8))  # ISO 3166-2:CN, e.g. CN-SD
    city_zh: Mapped[str] = mapped_column(String(60))
    city_en: Mapped[str] = mapped_column(String(80))
    county_zh: Mapped[str] = mapped_column(String(60), default="")
    county_en: Mapped[str] = mapped_column(String(80), default="")
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    area_mu: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    developer_zh: Mapped[str] = mapped_column(String(120))
    developer_en: Mapped[str] = mapped_column(String(160))
    methodology: Mapped[str] = mapped_column(String(200))
    crediting_start: Mapped[date] = mapped_column()
    crediting_end: Mapped[date | None] = mapped_column()
    description_zh: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    # [{"title": ..., "url": ...}] — public documents (PDD, monitoring reports).
    documents: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Demonstration content loaded by `flask demo-data`; pages label it as such.
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # --- buffer pool (issue 18) ---
    risk_rating: Mapped[RiskRating] = mapped_column(
        str_enum(RiskRating, length=16), default=RiskRating.MEDIUM, server_default="medium"
    )


class MemorialSite(Bilingual, Base):
    __tablename__ = "memorial_sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(160))
    operator_zh: Mapped[str] = mapped_column(String(120))
    operator_en: Mapped[str] = mapped_column(String(160))
    province: Mapped[str] = mapped_column(String(8))
    county_zh: Mapped[str] = mapped_column(String(60))
    county_en: Mapped[str] = mapped_column(String(80))
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    description_zh: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    visiting_zh: Mapped[str] = mapped_column(Text, default="")
    visiting_en: Mapped[str] = mapped_column(Text, default="")
    planting_seasons_zh: Mapped[str] = mapped_column(String(120), default="")
    planting_seasons_en: Mapped[str] = mapped_column(String(160), default="")
    # Site boundary as a list of [x, y] points in the site's local metre grid.
    boundary: Mapped[list[list[float]]] = mapped_column(JSON, default=list)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
