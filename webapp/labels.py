"""Translated display names for domain enums: the one label table (presentation only).

Keyed by (enum class, value): the enums are ``StrEnum``s, so ``Purpose.OTHER`` and
``EventKind.OTHER`` compare equal as strings and would collide as plain keys."""

from __future__ import annotations

import enum

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp.models import (
    CertificateKind,
    CertificateStatus,
    DedicationKind,
    Delivery,
    EventKind,
    IssuanceStatus,
    MemberRole,
    OrganisationKind,
    PaymentMethod,
    PlotStatus,
    Privacy,
    ProjectStatus,
    ProjectType,
    Purpose,
    Role,
    SinkInstrument,
    TravelMode,
)

_BY_MEMBER: list[tuple[enum.Enum, object]] = [
    (Role.RESIDENT, _l("Resident")),
    (Role.ORGANISER, _l("Organiser")),
    (Role.RANGER, _l("Ranger")),
    (Role.ADMIN, _l("Administrator")),
    (ProjectType.AFFORESTATION, _l("Afforestation (造林碳汇)")),
    (ProjectType.FOREST_MANAGEMENT, _l("Forest management (森林经营)")),
    (ProjectType.BAMBOO, _l("Bamboo forest management (竹林经营)")),
    (ProjectType.WETLAND, _l("Wetland (湿地)")),
    (SinkInstrument.CCER, _l("CCER")),
    (SinkInstrument.FORESTRY_TICKET, _l("Forestry carbon ticket (林业碳票)")),
    (SinkInstrument.CARBON_PUHUI, _l("Carbon inclusion (碳普惠)")),
    (SinkInstrument.VOLUNTARY_PLANTING, _l("Voluntary tree planting (义务植树)")),
    (ProjectStatus.DRAFT, _l("Draft")),
    (ProjectStatus.ACTIVE, _l("Active")),
    (ProjectStatus.CLOSED, _l("Closed")),
    (IssuanceStatus.DRAFT, _l("Draft")),
    (IssuanceStatus.APPROVED, _l("Approved")),
    (IssuanceStatus.ON_SALE, _l("On sale")),
    (IssuanceStatus.CLOSED, _l("Closed")),
    (Delivery.VERIFIED, _l("Delivered (verified)")),
    (Delivery.PROJECTED, _l("Projected (ex-ante)")),
    (Purpose.HOUSEHOLD_YEAR, _l("Household footprint of a year")),
    (Purpose.EVENT, _l("Meeting or event")),
    (Purpose.GIFT, _l("Gift")),
    (Purpose.JUDICIAL_RESTORATION, _l("Judicial restoration (司法修复)")),
    (Purpose.OTHER, _l("Other")),
    (Privacy.FULL, _l("Show my full name")),
    (Privacy.INITIALS, _l("Show only my initials")),
    (Privacy.ANONYMOUS, _l("Anonymous")),
    # Plots (认建认养). PlotUpdateKind values equal these statuses and share their labels.
    (PlotStatus.AVAILABLE, _l("Available to sponsor")),
    (PlotStatus.RESERVED, _l("Reserved")),
    (PlotStatus.SPONSORED, _l("Sponsored")),
    (PlotStatus.PLANTED, _l("Planted")),
    (PlotStatus.INSPECTED, _l("Inspected")),
    (PlotStatus.FAILED, _l("Planting failed")),
    (PlotStatus.REPLANTED, _l("Replanted")),
    (DedicationKind.MEMORIAL, _l("In memory (纪念)")),
    (DedicationKind.WEDDING, _l("Wedding (喜事)")),
    (DedicationKind.BIRTH, _l("Birth (出生)")),
    (DedicationKind.GRADUATION, _l("Graduation (毕业)")),
    (DedicationKind.COMPANY, _l("Company (企业)")),
    (OrganisationKind.COMPANY, _l("Company")),
    (OrganisationKind.GOVERNMENT, _l("Government office")),
    (OrganisationKind.ASSOCIATION, _l("Association")),
    (OrganisationKind.SCHOOL, _l("School")),
    (OrganisationKind.COURT, _l("Court")),
    (MemberRole.OWNER, _l("Owner")),
    (MemberRole.MEMBER, _l("Member")),
    (EventKind.MEETING, _l("Meeting (会议)")),
    (EventKind.FORUM, _l("Forum (论坛)")),
    (EventKind.EXHIBITION, _l("Exhibition (展览)")),
    (EventKind.PERFORMANCE, _l("Performance (演出)")),
    (EventKind.SPORTS, _l("Sports event (赛事)")),
    (EventKind.OTHER, _l("Other event")),
    (TravelMode.FLIGHT, _l("Plane")),
    (TravelMode.HIGH_SPEED_RAIL, _l("High-speed train")),
    (TravelMode.RAIL, _l("Train")),
    (TravelMode.COACH, _l("Coach")),
    (TravelMode.CAR, _l("Car")),
    (TravelMode.TAXI, _l("Taxi")),
    (TravelMode.METRO_BUS, _l("Metro or bus")),
    (CertificateKind.OFFSET, _l("Carbon sink retirement (offset)")),
    (CertificateKind.PLOT, _l("Plot sponsorship")),
    (CertificateKind.EVENT, _l("Zero-carbon event")),
    (CertificateStatus.VALID, _l("Valid")),
    (CertificateStatus.REVOKED, _l("Revoked")),
    (PaymentMethod.DEMO, _l("Demo payment")),
    (PaymentMethod.STRIPE, _l("Online payment")),
    (PaymentMethod.BANK_TRANSFER, _l("Bank transfer (对公转账)")),
    (PaymentMethod.WECHAT_PAY, _l("WeChat Pay")),
    (PaymentMethod.ALIPAY, _l("Alipay")),
]

LABELS: dict[tuple[type, str], object] = {
    (type(member), member.value): text for member, text in _BY_MEMBER
}
assert len(LABELS) == len(_BY_MEMBER)

# Ledger entry kinds and purposes as stored in entry bodies (plain strings).
KIND_LABELS: dict[str, object] = {
    "issuance": _l("Issuance drafted"),
    "approval": _l("Issuance approved"),
    "issuance_status": _l("Issuance status"),
    "reservation": _l("Reservation"),
    "release": _l("Reservation returned"),
    "retirement": _l("Retirement"),
    "reversal": _l("Reversal (refund)"),
    "revocation": _l("Certificate revoked"),
    "sponsorship": _l("Plot sponsorship"),
}


def label(value: enum.Enum) -> str:
    return str(LABELS.get((type(value), value.value), value.value))


def certificate_kind_label(kind: object) -> str:
    """A certificate kind, as an enum or as its stored text."""
    value = str(getattr(kind, "value", kind))
    return str(LABELS.get((CertificateKind, value), value))


def certificate_status_label(status: object) -> str:
    value = str(getattr(status, "value", status))
    return str(LABELS.get((CertificateStatus, value), value))


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


def purpose_label(value: str) -> str:
    try:
        return label(Purpose(value))
    except ValueError:
        return value


def register_labels(app: Flask) -> None:
    app.jinja_env.globals["label"] = label
    app.jinja_env.globals["kind_label"] = kind_label
    app.jinja_env.globals["purpose_label"] = purpose_label
    app.jinja_env.globals["role_label"] = label
    app.jinja_env.globals["certificate_kind_label"] = certificate_kind_label
    app.jinja_env.globals["certificate_status_label"] = certificate_status_label
