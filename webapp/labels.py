"""Translated display names for domain enums (presentation only)."""

from __future__ import annotations

import enum

from flask import Flask
from flask_babel import lazy_gettext as _l

from webapp.models import (
    DedicationKind,
    Delivery,
    IssuanceStatus,
    PlotStatus,
    Privacy,
    ProjectStatus,
    ProjectType,
    Purpose,
    Role,
    SinkInstrument,
)

LABELS: dict[enum.Enum, object] = {
    Role.RESIDENT: _l("Resident"),
    Role.ORGANISER: _l("Organiser"),
    Role.RANGER: _l("Ranger"),
    Role.ADMIN: _l("Administrator"),
    ProjectType.AFFORESTATION: _l("Afforestation (造林碳汇)"),
    ProjectType.FOREST_MANAGEMENT: _l("Forest management (森林经营)"),
    ProjectType.BAMBOO: _l("Bamboo forest management (竹林经营)"),
    ProjectType.WETLAND: _l("Wetland (湿地)"),
    SinkInstrument.CCER: _l("CCER"),
    SinkInstrument.FORESTRY_TICKET: _l("Forestry carbon ticket (林业碳票)"),
    SinkInstrument.CARBON_PUHUI: _l("Carbon inclusion (碳普惠)"),
    SinkInstrument.VOLUNTARY_PLANTING: _l("Voluntary tree planting (义务植树)"),
    ProjectStatus.DRAFT: _l("Draft"),
    ProjectStatus.ACTIVE: _l("Active"),
    ProjectStatus.CLOSED: _l("Closed"),
    IssuanceStatus.DRAFT: _l("Draft"),
    IssuanceStatus.APPROVED: _l("Approved"),
    IssuanceStatus.ON_SALE: _l("On sale"),
    IssuanceStatus.CLOSED: _l("Closed"),
    Delivery.VERIFIED: _l("Delivered (verified)"),
    Delivery.PROJECTED: _l("Projected (ex-ante)"),
    Purpose.HOUSEHOLD_YEAR: _l("Household footprint of a year"),
    Purpose.EVENT: _l("Meeting or event"),
    Purpose.GIFT: _l("Gift"),
    Purpose.JUDICIAL_RESTORATION: _l("Judicial restoration (司法修复)"),
    Purpose.OTHER: _l("Other"),
    Privacy.FULL: _l("Show my full name"),
    Privacy.INITIALS: _l("Show only my initials"),
    Privacy.ANONYMOUS: _l("Anonymous"),
    # Plots (认建认养). PlotUpdateKind values equal these statuses and share their labels.
    PlotStatus.AVAILABLE: _l("Available to sponsor"),
    PlotStatus.RESERVED: _l("Reserved"),
    PlotStatus.SPONSORED: _l("Sponsored"),
    PlotStatus.PLANTED: _l("Planted"),
    PlotStatus.INSPECTED: _l("Inspected"),
    PlotStatus.FAILED: _l("Planting failed"),
    PlotStatus.REPLANTED: _l("Replanted"),
    DedicationKind.MEMORIAL: _l("In memory (纪念)"),
    DedicationKind.WEDDING: _l("Wedding (喜事)"),
    DedicationKind.BIRTH: _l("Birth (出生)"),
    DedicationKind.GRADUATION: _l("Graduation (毕业)"),
    DedicationKind.COMPANY: _l("Company (企业)"),
}

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
    return str(LABELS.get(value, value.value))


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
