"""Demonstration organisation and event (flagged ``is_demo``; pages say 演示 / demo)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import CalculationKind, EventKind, Organisation, OrganisationKind, TravelMode
from webapp.services import accounts, footprint_records
from webapp.services.events import organisations, records, survey

ORGANISER = "organiser@tanhui.local"
ORG_NAME = "泰山论坛组委会（演示）"
EVENT_NAME = "2026 泰山低碳发展论坛（演示）"
ESTIMATE: dict[str, Any] = {
    "province": "CN-SD",
    "participants": 300,
    "days": 2,
    "venue": {"electricity_kwh": "4800"},
    "travel": [
        {"mode": "high_speed_rail", "people": 180, "one_way_km": "450"},
        {"mode": "flight", "people": 40, "one_way_km": "1500"},
        {"mode": "car", "people": 80, "one_way_km": "60"},
    ],
    "room_nights": 260,
    "meals": 1200,
    "vegetarian_share": "0.3",
    "materials": {"paper_kg": "80"},
}
# Tai'an has no airport in the data, so the demo answers give their distances.
ANSWERS = [
    ("北京", TravelMode.HIGH_SPEED_RAIL, "430"),
    ("上海", TravelMode.HIGH_SPEED_RAIL, "640"),
    ("Chengdu", TravelMode.FLIGHT, "1380"),
    ("济南", TravelMode.COACH, "70"),
]


def load(session: Session, report: Any) -> None:
    """Idempotent: nothing is added when the demo organisation exists."""
    if session.scalar(select(Organisation.id).where(Organisation.name == ORG_NAME)):
        report.existing += 1
        return
    owner = accounts.find_by_email(session, ORGANISER)
    if owner is None:
        return
    org = organisations.create(
        session,
        owner=owner,
        name=ORG_NAME,
        kind=OrganisationKind.ASSOCIATION,
        invoice=organisations.InvoiceDetails(
            title="泰山论坛组委会", tax_id="51370900MJD000000X", address="山东省泰安市泰山区"
        ),
        is_demo=True,
    )
    event = records.create(
        session,
        organisation=org,
        actor=owner,
        draft=records.EventDraft(
            name=EVENT_NAME,
            kind=EventKind.FORUM,
            starts_on=date(2026, 4, 22),
            ends_on=date(2026, 4, 23),
            venue="泰安国际会展中心",
            city="泰安",
            province="CN-SD",
            expected_attendees=300,
        ),
        is_demo=True,
    )
    calculation = footprint_records.save(
        session, kind=CalculationKind.EVENT, data=ESTIMATE, user=owner, label=EVENT_NAME
    )
    records.attach_estimate(session, event, calculation, actor=owner)
    for n, (origin, mode, km) in enumerate(ANSWERS):
        survey.submit(
            session,
            event,
            survey.Answer(mode=mode, origin=origin, one_way_km=km),
            device=f"demo-device-{n}",
        )
    report.created += 2
