"""Payments fixtures: a project with credits on sale, a logged-in buyer, order helpers."""

from __future__ import annotations

import re

import pytest

from tests.conftest import csrf_token
from tests.functional.registry.conftest import admins, make_project, on_sale  # noqa: F401
from webapp.extensions import db
from webapp.models import Order
from webapp.services import orders


@pytest.fixture
def credits(app, on_sale):  # noqa: F811
    """TA-CLS with 10 t on sale at ¥80/t (verified, vintage 2024)."""
    project = make_project()
    db.session.commit()
    on_sale(project, quantity_kg=10_000, price="80.00")
    return project


@pytest.fixture
def buyer(make_user, auth):
    user = make_user("resident", email="buyer@example.cn", name="林小树")
    auth.login("buyer@example.cn")
    return user


def offset_form(client, **fields) -> dict[str, str]:
    data = {
        "csrf_token": csrf_token(client, "/offset"),
        "project": "TA-CLS",
        "tonnes": "2.4",
        "beneficiary_name": "林小树",
        "privacy": "initials",
        "purpose": "household_year",
        "purpose_detail": "",
        "method": "demo",
        "confirm": "1",
    }
    data.update({k: str(v) for k, v in fields.items()})
    return data


def start_order(client, **fields) -> Order:
    response = client.post("/offset", data=offset_form(client, **fields))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    ref = re.search(r"/orders/(TH[0-9A-Z]{8})", response.headers["Location"]).group(1)
    return orders.find(db.session, ref)


def fresh(order: Order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)
