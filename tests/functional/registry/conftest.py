from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from webapp.extensions import db
from webapp.models import (
    Delivery,
    IssuanceStatus,
    ProjectStatus,
    ProjectType,
    SinkInstrument,
    SinkProject,
)
from webapp.services.registry import issuance as issuance_service

HOLD = timedelta(minutes=30)


def make_project(code: str = "TA-CLS") -> SinkProject:
    project = SinkProject(
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


@pytest.fixture
def admins(make_user):
    return make_user("admin", email="maker@example.cn"), make_user("admin", email="checker@x.cn")


@pytest.fixture
def project(app):
    p = make_project()
    db.session.commit()
    return p


@pytest.fixture
def on_sale(admins):
    """Factory: an approved, on-sale issuance of ``quantity_kg`` for a project."""
    maker, checker = admins

    def make(project, quantity_kg=10_000, vintage=2024, price="80.00", delivery=Delivery.VERIFIED):
        extra = {}
        if delivery is Delivery.PROJECTED:
            extra = {"expected_from": 2027, "expected_to": 2031}
        draft = issuance_service.IssuanceDraft(
            vintage=vintage,
            period_start=date(vintage, 1, 1),
            period_end=date(vintage, 12, 31),
            quantity_kg=quantity_kg,
            price_per_tonne=Decimal(price),
            delivery=delivery,
            **extra,
        )
        iss = issuance_service.draft(db.session, project, draft, actor=maker)
        issuance_service.approve(db.session, iss, actor=checker)
        issuance_service.set_status(db.session, iss, IssuanceStatus.ON_SALE, actor=checker)
        db.session.commit()
        return iss

    return make
