"""A sink project in the registry (plain helpers)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from webapp.extensions import db
from webapp.models import (
    Privacy,
    ProjectStatus,
    ProjectType,
    Purpose,
    RiskRating,
    SinkInstrument,
    SinkProject,
)
from webapp.services.registry import allocation

HOLD = timedelta(minutes=30)


def make_project(
    code: str = "TA-CLS", risk_rating: RiskRating = RiskRating.EXTERNAL
) -> SinkProject:
    """``risk_rating``: EXTERNAL (no buffer) keeps the arithmetic of the tests written before
    the buffer pool; tests of the buffer and losses pass a rating that withholds."""
    project = SinkProject(
        risk_rating=risk_rating,
        code=code,
        name_zh="徂徕山造林碳汇",
        name_en="Culai afforestation",
        type=ProjectType.AFFORESTATION,
        instrument=SinkInstrument.CCER,
        status=ProjectStatus.ACTIVE,
        province="CN-SD",
        city_zh="泰安市",
        city_en="Tai'an",
        area_mu=Decimal("1000"),
        developer_zh="徂徕山林场",
        developer_en="Culai forest farm",
        methodology="CCER-14-001-V01",
        crediting_start=date(2024, 1, 1),
    )
    db.session.add(project)
    db.session.flush()
    return project


BENEFICIARY = allocation.Beneficiary(
    name="王小林", privacy=Privacy.FULL, purpose=Purpose.HOUSEHOLD_YEAR, purpose_detail="2026"
)
