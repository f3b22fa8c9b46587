"""Translated display names for domain enums: the one label table (presentation only).

Keyed by (enum class, value): the enums are ``StrEnum``s, so ``Purpose.OTHER`` and
``EventKind.OTHER`` compare equal as strings and would collide as plain keys."""

from __future__ import annotations

import enum
import re

from flask import Flask
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from webapp.models import (
    AllocationState,
    CalculationKind,
    CertificateKind,
    CertificateStatus,
    DedicationKind,
    Delivery,
    DutyRevocationReason,
    EventKind,
    IssuanceStatus,
    LossCause,
    LossStatus,
    MemberRole,
    MonitoringStatus,
    OrderKind,
    OrderStatus,
    OrganisationKind,
    PaymentMethod,
    PlantingDayStatus,
    PlotStatus,
    PlotUpdateKind,
    Privacy,
    ProjectStatus,
    ProjectType,
    Purpose,
    RangeState,
    RegistrationStatus,
    RiskRating,
    Role,
    ScanResult,
    SinkInstrument,
    TravelMode,
    TrueUpRule,
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
    (Purpose.ORGANISATION, _l("An organisation's operations")),
    (Purpose.PLOT_SPONSORSHIP, _l("Plot sponsorship")),
    (Purpose.PLANTING_DONATION, _l("Donation for planting (捐资造林)")),
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
    (DedicationKind.OTHER, _l("Other dedication")),
    (PlotUpdateKind.PLANTED, _l("Planted")),
    (PlotUpdateKind.INSPECTED, _l("Inspected")),
    (PlotUpdateKind.FAILED, _l("Planting failed")),
    (PlotUpdateKind.REPLANTED, _l("Replanted")),
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
    # --- buffer pool and losses (issue 18) ---
    (RiskRating.LOW, _l("Low risk (10% buffer)")),
    (RiskRating.MEDIUM, _l("Medium risk (20% buffer)")),
    (RiskRating.HIGH, _l("High risk (30% buffer)")),
    (RiskRating.EXTERNAL, _l("Buffer kept by the issuing programme (none withheld here)")),
    (LossCause.FIRE, _l("Forest fire")),
    (LossCause.PESTS, _l("Pests and disease (e.g. pine wilt)")),
    (LossCause.FELLING, _l("Felling")),
    (LossCause.STORM, _l("Storm, snow or ice")),
    (LossCause.DROUGHT, _l("Drought")),
    (LossStatus.REPORTED, _l("Reported, awaiting confirmation")),
    (LossStatus.CONFIRMED, _l("Confirmed")),
    (LossStatus.RESOLVED, _l("Confirmed and resolved")),
    (LossStatus.REJECTED, _l("Rejected")),
    (PlantingDayStatus.PROPOSED, _l("Proposed, awaiting staff")),
    (PlantingDayStatus.SCHEDULED, _l("Scheduled")),
    (PlantingDayStatus.CANCELLED, _l("Cancelled")),
    (PlantingDayStatus.DECLINED, _l("Declined")),
    (PlantingDayStatus.WITHDRAWN, _l("Withdrawn")),
    (RegistrationStatus.REGISTERED, _l("Registered")),
    (RegistrationStatus.WAITLISTED, _l("On the waiting list")),
    (RegistrationStatus.CANCELLED, _l("Registration cancelled")),
    (DutyRevocationReason.STAFF, _l("Revoked by staff")),
    (DutyRevocationReason.REFUNDED, _l("A payment counted on it was refunded")),
    # --- monitoring and verification (issue 18) ---
    (MonitoringStatus.RECORDED, _l("Monitoring recorded")),
    (MonitoringStatus.VERIFICATION_PENDING, _l("Verification awaiting approval")),
    (MonitoringStatus.VERIFIED, _l("Verified")),
    (OrderKind.OFFSET, _l("Carbon offset")),
    (OrderKind.PLOT, _l("Plot sponsorship")),
    (OrderKind.DONATION, _l("Donation for planting (捐资造林)")),
    (OrderKind.EVENT, _l("Event offset")),
    (OrderStatus.PENDING, _l("Awaiting payment")),
    (OrderStatus.PAID, _l("Paid")),
    (OrderStatus.CANCELLED, _l("Cancelled")),
    (OrderStatus.EXPIRED, _l("Expired")),
    (OrderStatus.FAILED, _l("Payment failed")),
    (OrderStatus.REFUNDED, _l("Refunded")),
    (PaymentMethod.DEMO, _l("Demo payment")),
    (PaymentMethod.STRIPE, _l("Online payment")),
    (PaymentMethod.BANK_TRANSFER, _l("Bank transfer (对公转账)")),
    (AllocationState.RESERVED, _l("Reserved for a pending order")),
    (AllocationState.RETIRED, _l("Retired")),
    (AllocationState.EXPIRED, _l("Hold lapsed, serials returned")),
    (AllocationState.RELEASED, _l("Order cancelled, serials returned")),
    (AllocationState.REVERSED, _l("Refunded, serials returned")),
    (AllocationState.BUFFER, _l("Held in the buffer pool")),
    (AllocationState.CANCELLED, _l("Cancelled to cover a loss")),
    (RangeState.RESERVED, _l("Reserved")),
    (RangeState.RETIRED, _l("Retired")),
    (RangeState.RETURNED, _l("Returned")),
    (RangeState.BUFFER, _l("Buffer pool")),
    (RangeState.CANCELLED, _l("Cancelled for a loss")),
    (ScanResult.VALID, _l("Genuine and valid")),
    (ScanResult.REVOKED, _l("Genuine but revoked")),
    (ScanResult.INVALID, _l("Not genuine or damaged")),
    (ScanResult.UNKNOWN, _l("Genuine, but not a certificate we know")),
    (CalculationKind.HOUSEHOLD, _l("Household footprint")),
    (CalculationKind.EVENT, _l("Event footprint")),
    (TrueUpRule.ORGANISER_FIGURES, _l("Organiser's figures (no survey)")),
    (TrueUpRule.SURVEY_EXTRAPOLATED, _l("Survey extrapolated to all attendees")),
    (TrueUpRule.ESTIMATE_STANDS, _l("Estimate stands (too few survey answers)")),
    (TrueUpRule.SURVEY_ABOVE_ESTIMATE, _l("Survey answers as given (above the estimate)")),
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
    # --- buffer pool and losses (issue 18) ---
    "buffer": _l("Buffer withheld"),
    "cancellation": _l("Cancellation (loss)"),
    "loss_resolved": _l("Loss resolved"),
    # --- monitoring, verification and delivery (issue 18) ---
    "monitoring": _l("Monitoring period (计量监测)"),
    "verification": _l("Verification (核证)"),
    "verification_approval": _l("Verification approved"),
    "delivery": _l("Delivery of projected tonnes (交付)"),
}


# Footprint categories and activities (keys of the calculators' result lines).
CATEGORY_LABELS: dict[str, object] = {
    # household
    "electricity": _l("Electricity"),
    "heating": _l("Heating"),
    "home_fuel": _l("Gas and LPG at home"),
    "car": _l("Cars"),
    "taxi": _l("Taxi"),
    "public_transport": _l("Public transport"),
    "flights": _l("Flights"),
    "diet": _l("Food"),
    "waste": _l("Waste"),
    # event (大型活动碳中和实施指南)
    "stationary_combustion": _l("Fuel burned at the venue"),
    "mobile_combustion": _l("Official vehicles (fuel)"),
    "purchased_energy": _l("Purchased electricity and heat"),
    "travel": _l("Travel of participants and staff"),
    "accommodation_catering": _l("Accommodation and catering"),
    "materials": _l("Paper and printed materials"),
}

ACTIVITY_LABELS: dict[str, object] = {
    "electricity": _l("Grid electricity"),
    "heat": _l("District heating"),
    "heat.area": _l("District heating (estimated from floor area)"),
    "natural_gas": _l("Natural gas"),
    "lpg": _l("Liquefied petroleum gas (LPG)"),
    "car.petrol": _l("Petrol car"),
    "car.diesel": _l("Diesel car"),
    "car.hybrid": _l("Hybrid car"),
    "car.electric": _l("Electric car (charging electricity)"),
    "taxi": _l("Taxi"),
    "transit.bus": _l("Bus"),
    "transit.metro": _l("Metro"),
    "transit.rail": _l("Conventional rail"),
    "transit.high_speed_rail": _l("High-speed rail"),
    "flight": _l("Flight"),
    "diet.high_meat": _l("Diet: high meat"),
    "diet.medium_meat": _l("Diet: medium meat"),
    "diet.low_meat": _l("Diet: low meat"),
    "diet.pescatarian": _l("Diet: pescatarian"),
    "diet.vegetarian": _l("Diet: vegetarian"),
    "diet.vegan": _l("Diet: vegan"),
    "waste": _l("Residual waste to landfill"),
    "venue.natural_gas": _l("Venue natural gas"),
    "venue.diesel": _l("Venue diesel (generators)"),
    "venue.electricity": _l("Venue electricity"),
    "venue.heat": _l("Venue heat"),
    "travel.flight": _l("Travel by air"),
    "travel.high_speed_rail": _l("Travel by high-speed rail"),
    "travel.rail": _l("Travel by conventional rail"),
    "travel.coach": _l("Travel by coach"),
    "travel.car": _l("Travel by car (one traveller per car)"),
    "travel.taxi": _l("Travel by taxi"),
    "travel.metro_bus": _l("Travel by metro or bus"),
    "hotel": _l("Hotel room-nights"),
    "meal.meat": _l("Meals with meat"),
    "meal.vegetarian": _l("Vegetarian meals"),
    "material.paper": _l("Paper"),
    "material.printed": _l("Printed materials"),
}


VERIFICATION_LABELS: dict[str, object] = {
    "verified": _l("verified"),
    "secondary": _l("secondary source"),
    "UNVERIFIED": _l("UNVERIFIED"),
}


def verification_label(status: str) -> str:
    return str(VERIFICATION_LABELS.get(status, status))


UNIT_LABELS: dict[str, object] = {
    "kWh": "kWh",
    "GJ": "GJ",
    "m3": "m³",
    "kg": "kg",
    "L": "L",
    "vkm": _l("vehicle-km"),
    "pkm": _l("passenger-km"),
    "person-day": _l("person-days"),
    "room-night": _l("room-nights"),
    "meal": _l("meals"),
}

PER_UNIT_LABELS: dict[str, object] = {
    "vkm": _l("vehicle-km"),
    "pkm": _l("passenger-km"),
    "person/day": _l("person-day"),
    "room-night": _l("room-night"),
    "meal": _l("meal"),
}


def unit_label(unit: str) -> str:
    return str(UNIT_LABELS.get(unit, unit))


def factor_unit_label(unit: str) -> str:
    """``kgCO2e/pkm`` -> ``kg CO₂e / passenger-km`` (translated denominator)."""
    top, _sep, bottom = unit.partition("/")
    top = re.sub(r"^(k?g|t)(CO2e?)$", lambda m: f"{m.group(1)} {m.group(2)}", top)
    top = top.replace("CO2", "CO₂")
    if not bottom:
        return top
    return f"{top} / {PER_UNIT_LABELS.get(bottom, UNIT_LABELS.get(bottom, bottom))}"


def category_label(key: str) -> str:
    return str(CATEGORY_LABELS.get(key, key))


def activity_label(key: str) -> str:
    return str(ACTIVITY_LABELS.get(key, key))


# What an event's actual footprint rests on (docs/METHODOLOGY.md, "True-up from the survey").
TRUEUP_TEXTS: dict[TrueUpRule, object] = {
    TrueUpRule.ORGANISER_FIGURES: _l(
        "Measured after the event: energy, meals, materials and travel as recorded by the "
        "organiser; the attendee survey was not used."
    ),
    TrueUpRule.SURVEY_EXTRAPOLATED: _l(
        "Measured after the event: energy, meals and materials as recorded by the organiser. "
        "Attendees' travel is extrapolated from the survey: %(answers)s of %(attendees)s "
        "attendees answered (%(rate)s), at least the %(min_answers)s answers and %(min_rate)s "
        "the rule asks for; those who did not answer count as travelling like those who did."
    ),
    TrueUpRule.ESTIMATE_STANDS: _l(
        "Measured after the event: energy, meals and materials as recorded by the organiser. "
        "Attendees' travel is still the estimate made before the event: only %(answers)s of "
        "%(attendees)s attendees answered the survey (%(rate)s), fewer than the %(min_answers)s "
        "answers and %(min_rate)s the rule asks for before answers may replace the estimate."
    ),
    TrueUpRule.SURVEY_ABOVE_ESTIMATE: _l(
        "Measured after the event: energy, meals and materials as recorded by the organiser. "
        "Attendees' travel is the survey's answers as given: only %(answers)s of %(attendees)s "
        "attendees answered (%(rate)s), too few to extrapolate, but their travel alone already "
        "exceeds the estimate made before the event, so it counts instead."
    ),
}


# A checkout's state at the payment page (the demo provider mimics Stripe's words).
CHECKOUT_LABELS: dict[str, object] = {
    "open": _l("Open, awaiting payment"),
    "complete": _l("Completed"),
    "expired": _l("Expired"),
    "paid": _l("Paid"),
    "unpaid": _l("Not paid yet"),
    "no_payment_required": _l("No payment required"),
}


def checkout_label(value: str) -> str:
    return str(CHECKOUT_LABELS.get(value, value))


# Revocation reasons as stored (kept for auditors, e.g. in the API) and as read.
SUPERSEDED_PREFIX = "superseded by partial refund: "
REFUNDED_PREFIX = "refunded: "
SURPLUS_REASON = "surplus after the true-up of event "
PROVIDER_REASON = "refunded at the payment provider"


def revocation_text(reason: str | None) -> str:
    """A stored revocation reason in words a reader understands (the stored text, written
    by the code or typed by staff, stays in the database and the API for auditors)."""
    reason = (reason or "").strip()
    if not reason:
        return ""
    if reason.startswith(SUPERSEDED_PREFIX):
        return str(
            _l(
                "Part of the order was refunded; certificate %(id)s replaces this one for "
                "the tonnes that remain.",
                id=reason[len(SUPERSEDED_PREFIX) :].strip(),
            )
        )
    if reason.startswith(REFUNDED_PREFIX):
        cause = reason[len(REFUNDED_PREFIX) :]
        if cause.startswith(SURPLUS_REASON):
            return str(
                _l(
                    "The order was refunded: after the event, its footprint was smaller than "
                    "what had been offset."
                )
            )
        if cause.startswith(PROVIDER_REASON):
            return str(_l("The order was refunded through the payment provider."))
        if cause.strip():
            return str(_l("The order was refunded: %(reason)s", reason=cause.strip()))
        return str(_l("The order was refunded; its serials went back to the registry."))
    # Typed by staff when revoking: their words, said to be theirs.
    return str(_l("Revoked by the registry's staff: %(reason)s", reason=reason))


def duty_revocation_text(reason: object, note: str | None = None) -> str:
    """Why a duty certificate was revoked, as a sentence (``reason`` a
    ``DutyRevocationReason`` or its stored value; ``note`` what staff typed)."""
    value = str(getattr(reason, "value", reason) or "")
    if value == DutyRevocationReason.STAFF.value:
        return str(_l("Revoked by the registry's staff: %(reason)s", reason=(note or "").strip()))
    if value == DutyRevocationReason.REFUNDED.value:
        return str(
            _l(
                "A payment counted on it was refunded, so the figures it states no longer "
                "hold. The holder can download a new certificate with the current figures."
            )
        )
    return str(LABELS.get((DutyRevocationReason, value), value))


def issuance_status_label(value: str) -> str:
    return str(LABELS.get((IssuanceStatus, str(value)), value))


# Why serials held for an order went back (release entries).
LEDGER_REASONS: dict[str, object] = {
    "expired": _l("The hold lapsed before payment"),
    "cancelled": _l("The order was cancelled"),
    # Buffer entries (services/registry/buffer.withhold): why the share was withheld.
    "issuance": _l("Withheld into the buffer pool when the issuance was approved"),
    "migration": _l("Withheld into the buffer pool from unsold stock when the pool began"),
}


def ledger_reason_text(reason: str | None) -> str:
    """A ledger entry's stored reason (reversals: "refund <order>", "partial refund
    <order>"; revocations: the certificate's reason) in words."""
    reason = (reason or "").strip()
    if reason in LEDGER_REASONS:
        return str(LEDGER_REASONS[reason])
    for prefix, text in (
        ("partial refund ", _l("Part of order %(ref)s was refunded")),
        ("refund ", _l("Order %(ref)s was refunded")),
    ):
        if reason.startswith(prefix) and " " not in reason[len(prefix) :].strip():
            return str(text) % {"ref": reason[len(prefix) :].strip()}
    return revocation_text(reason)


def percent(rate: object) -> str:
    """A share as a percentage with one decimal (0.0133 -> "1.3%")."""
    return f"{float(rate) * 100:.1f}%"  # type: ignore[arg-type]


def in_both(render: object, *args: object) -> tuple[str, str]:
    """``render(*args)`` in Chinese and in English (for bilingual PDFs and exports)."""
    with force_locale("zh"):
        zh = str(render(*args))  # type: ignore[operator]
    with force_locale("en"):
        en = str(render(*args))  # type: ignore[operator]
    return zh, en


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


def loss_cause_label(value: str) -> str:
    """A loss cause as stored in a ledger entry body (issue 18)."""
    try:
        return label(LossCause(value))
    except ValueError:
        return value


def register_labels(app: Flask) -> None:
    app.jinja_env.globals["label"] = label
    app.jinja_env.globals["kind_label"] = kind_label
    app.jinja_env.globals["purpose_label"] = purpose_label
    app.jinja_env.globals["loss_cause_label"] = loss_cause_label
    app.jinja_env.globals["role_label"] = label
    app.jinja_env.globals["certificate_kind_label"] = certificate_kind_label
    app.jinja_env.globals["certificate_status_label"] = certificate_status_label
    app.jinja_env.globals["category_label"] = category_label
    app.jinja_env.globals["activity_label"] = activity_label
    app.jinja_env.globals["revocation_text"] = revocation_text
    app.jinja_env.globals["duty_revocation_text"] = duty_revocation_text
    app.jinja_env.globals["checkout_label"] = checkout_label
    app.jinja_env.globals["issuance_status_label"] = issuance_status_label
    app.jinja_env.globals["ledger_reason_text"] = ledger_reason_text
