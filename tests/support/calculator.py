"""The household calculator form, filled in and submitted as a browser would."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.support.app import csrf_token
from webapp.extensions import db
from webapp.models import FootprintCalculation

HOUSEHOLD = {
    "province": "CN-GD",
    "household_size": "3",
    "electricity": "3600",
    "electricity_period": "year",
    "natural_gas_m3": "240",
    "cars-0-fuel": "petrol",
    "cars-0-km": "8000",
    "cars-2-fuel": "electric",
    "cars-2-km": "10000",
    "bus_km": "1000",
    "metro_km": "2000",
    "high_speed_rail_km": "3000",
    "flights-1-origin": "can",
    "flights-1-destination": "PEK",
    "flights-1-return_trip": "y",
    "flights-1-cabin": "average",
    "diet": "average_meat",
    "label": "我家 2026",
}
TOKEN_URL = re.compile(r"^/footprint/r/([A-Za-z0-9_-]{24})$")


def post(client, path: str, data: dict[str, str], **extra):
    token = csrf_token(client, path)
    return client.post(path, data={"csrf_token": token, **data}, **extra)


def calculate(client, kind: str = "household", data: dict[str, str] | None = None) -> str:
    response = post(client, f"/footprint/{kind}", HOUSEHOLD if data is None else data)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    match = TOKEN_URL.match(response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


EVENT = {
    "province": "sd",
    "participants": "300",
    "days": "2",
    "travel-0-mode": "high_speed_rail",
    "travel-0-people": "200",
    "travel-0-one_way_km": "500",
    "travel-3-mode": "flight",
    "travel-3-people": "100",
    "travel-3-one_way_km": "1200",
    "round_trip": "y",
    "room_nights": "300",
    "meals": "1200",
    "vegetarian_percent": "25",
    "electricity_kwh": "8000",
    "paper_kg": "20",
}


def latest() -> FootprintCalculation:
    """The newest stored calculation, detached, its read transaction ended."""
    calc = db.session.scalar(select(FootprintCalculation).order_by(FootprintCalculation.id.desc()))
    assert calc is not None
    db.session.expunge(calc)
    db.session.rollback()
    return calc
