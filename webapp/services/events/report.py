"""The organiser's records: the event report (CSV and PDF), the survey poster (PDF).

PDFs are rendered like the plot posters (``services/plots/plaques.py``): an autoescaped
Jinja template from ``templates/events_print/`` fed plain data, WeasyPrint with the
certificates' static-only URL fetcher and fonts. Free text (event names, survey origins
and comments) is escaped in HTML and PDF, and CSV cells that a spreadsheet would run as a
formula (= + - @, and tab / carriage return) are written as text with a leading quote.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.labels import (
    activity_label,
    category_label,
    certificate_status_label,
    factor_unit_label,
    in_both,
    label,
    percent,
    revocation_text,
    unit_label,
    verification_label,
)
from webapp.models import Certificate, Event, Order, OrderKind, OrderStatus, SurveyTicket
from webapp.services import csv_export
from webapp.services.certificates.qr import make_qr
from webapp.services.events import offset_state, survey
from webapp.services.events import tickets as tickets_service
from webapp.services.events.certificate import KIND_TEXTS, dates_text
from webapp.services.events.trueup import trueup_text
from webapp.services.footprint.event import TrueUp, compare
from webapp.services.footprint.factors import load_factor_set
from webapp.services.footprint.geo import province_name
from webapp.services.footprint_records import stored_result
from webapp.services.print_sheets import VERIFICATION_TEXTS, PrintSheets

_SHEETS = PrintSheets("events_print", "events")
POSTER_QR_MM = 80.0
SLIP_QR_MM = 24.0
MAX_SLIPS = 2000  # one PDF; larger runs are better sent as personal links (the CSV)


def survey_qr_text(base_url: str, code: str) -> str:
    """Upper-case short link (QR alphanumeric mode); ``/E/<code>`` redirects to the survey."""
    return f"{base_url.rstrip('/')}/E/{code}".upper()


def difference(event: Event) -> TrueUp | None:
    """Actual minus estimate by category, once the actual is recorded."""
    if event.estimate_calculation is None or event.actual_calculation is None:
        return None
    return compare(
        stored_result(event.estimate_calculation), stored_result(event.actual_calculation)
    )


def certificates_of(session: Session, events: list[Event]) -> list[tuple[Certificate, Order]]:
    ids = [e.id for e in events]
    if not ids:
        return []
    rows = session.execute(
        select(Certificate, Order)
        .join(Order, Certificate.order_id == Order.id)
        .where(
            Order.event_id.in_(ids),
            Order.kind == OrderKind.EVENT,  # attendees' own orders stay private
            Certificate.parent_id.is_(None),
        )
        .order_by(Certificate.id.desc())
    )
    return [(certificate, order) for certificate, order in rows]


def refunded_orders(session: Session, event: Event) -> list[Order]:
    """The organiser's orders that gave kilograms (and money) back."""
    return list(
        session.scalars(
            select(Order)
            .where(
                Order.event_id == event.id,
                Order.kind == OrderKind.EVENT,
                Order.status.in_((OrderStatus.PAID, OrderStatus.REFUNDED)),
                Order.refunded_kg > 0,
            )
            .order_by(Order.id)
        )
    )


def _t(kg: int | Decimal) -> str:
    return f"{Decimal(kg) / 1000:.3f}"


@dataclass(frozen=True)
class ReportData:
    event: Event
    kind_zh: str
    kind_en: str
    dates: str
    state: offset_state.EventCoverage
    lines: list[dict[str, str]]
    estimate_kg: int | None
    actual_kg: int | None
    responses: int
    certificates: list[dict[str, str]]
    difference: TrueUp | None
    refunded_amount: Decimal  # money the organiser's refunded kilograms brought back
    basis: tuple[str, str]  # what the actual footprint rests on (zh, en); "" before it
    categories: dict[str, tuple[str, str]]  # category key -> (zh, en) name


def gather(session: Session, event: Event, base_url: str) -> ReportData:
    calculation = event.actual_calculation or event.estimate_calculation
    lines = []
    if calculation is not None:
        result = stored_result(calculation)
        fs = load_factor_set(result.factor_set)
        for line in result.lines:
            lines.append(
                {
                    "category": line.category,
                    "activity": line.activity,
                    "activity_zh": in_both(activity_label, line.activity)[0],
                    "activity_en": in_both(activity_label, line.activity)[1],
                    "quantity": format(line.quantity, "f"),
                    "unit": line.unit,
                    "factor": format(line.factor, "f"),
                    "factor_unit": line.factor_unit,
                    "factor_id": line.factor_id,
                    # The factor set's citation: results stored before citations
                    # existed carry the compiled notes in ``line.source``.
                    "citation": fs.citation(line.factor_id, line.source),
                    "verification": line.verification,
                    "kg": f"{line.kg:.3f}",
                }
            )
    base = base_url.rstrip("/")
    certificates = [
        {
            "id": c.public_id,
            "status": c.status.value,
            "status_text": in_both(label, c.status),
            "order": o.ref,
            "kind": o.kind.value,
            "kind_text": in_both(label, o.kind),
            "quantity_kg": str(c.quantity_kg or 0),
            "url": f"{base}/v/{c.public_id}",
            "revocation_reason": c.revocation_reason or "",
            "revocation_text": in_both(revocation_text, c.revocation_reason),
        }
        for c, o in certificates_of(session, [event])
    ]
    zh, en = KIND_TEXTS[event.kind]
    return ReportData(
        event=event,
        kind_zh=zh,
        kind_en=en,
        dates=dates_text(event),
        state=offset_state.of(session, event),
        lines=lines,
        estimate_kg=event.estimate_kg,
        actual_kg=event.actual_kg,
        responses=survey.count(session, event),
        certificates=certificates,
        difference=difference(event),
        refunded_amount=sum(
            (o.refunded_amount for o in refunded_orders(session, event)), Decimal("0.00")
        ),
        basis=in_both(trueup_text, event),
        categories=_category_names(event),
    )


def _category_names(event: Event) -> dict[str, tuple[str, str]]:
    keys: set[str] = set()
    for calculation in (event.estimate_calculation, event.actual_calculation):
        if calculation is not None:
            keys.update(stored_result(calculation).by_category)
    return {key: in_both(category_label, key) for key in keys}


def csv_report(session: Session, event: Event, base_url: str) -> str:
    """The organiser's report as a spreadsheet, in the reader's language: headings, names
    of categories, modes and statuses in words (no internal keys)."""
    data = gather(session, event, base_url)
    state = data.state
    out = io.StringIO()
    writer = csv_export.writer(out)

    def row(*cells: object) -> None:
        writer.writerow(cells)

    def kg(value: int | None) -> object:
        return value if value is not None else ""

    section = _("Event")
    row(_("Section"), _("Item"), _("Value"))
    for field, value in (
        (_("Code"), event.code),
        (_("Event name"), event.name),
        (_("Organisation"), event.organisation.name),
        (_("Type"), label(event.kind)),
        (_("Dates"), data.dates),
        (_("Venue"), event.venue),
        (_("City"), event.city),
        (_("Province"), province_name(event.province)),
        (_("Expected attendees"), event.expected_attendees),
        (_("Survey answers"), data.responses),
        (_("Estimated footprint (kg)"), kg(data.estimate_kg)),
        (_("Actual footprint (kg)"), kg(data.actual_kg)),
        (_("True-up rule"), label(event.trueup_rule) if event.trueup_rule else ""),
        (_("Survey answers used"), kg(event.trueup_answers)),
        (_("Attendees the answers are a share of"), kg(event.trueup_attendees)),
        (_("Response rate"), percent(_rate(event)) if event.trueup_attendees else ""),
        (_("What the actual footprint rests on"), trueup_text(event)),
        (_("Footprint to cover (kg)"), kg(state.footprint_kg)),
        (_("Covered by the organiser (kg)"), state.organiser_kg),
        (_("Covered by attendees (kg)"), state.attendees_kg),
        (_("Attendees who offset their travel"), state.attendee_people),
        (_("Still uncovered (kg)"), state.needed_kg),
        (_("Refunded to the organiser (kg)"), state.organiser_refunded_kg),
        (_("Refunded to the organiser (yuan)"), f"{data.refunded_amount:.2f}"),
        (_("Zero-carbon"), _("yes") if state.complete else _("no")),
    ):
        row(section, field, value)
    writer.writerow([])
    row(_("Category"), _("Emission source"), _("Quantity"), _("Unit"), _("Emission factor"),
        _("Factor unit"), _("Factor id"), _("Source"), _("Verification status"),
        _("kg CO2e"))  # fmt: skip
    for line in data.lines:
        row(category_label(line["category"]), activity_label(line["activity"]),
            line["quantity"], unit_label(line["unit"]), line["factor"],
            factor_unit_label(line["factor_unit"]),
            line["factor_id"], line["citation"], verification_label(line["verification"]),
            line["kg"])  # fmt: skip
    if data.difference is not None:
        writer.writerow([])
        row(_("True-up by category"), _("Estimate (kg)"), _("Actual (kg)"), _("Difference (kg)"))
        for c in data.difference.categories:
            row(category_label(c.category), f"{c.estimate_kg:.3f}", f"{c.actual_kg:.3f}",
                f"{c.difference_kg:.3f}")  # fmt: skip
    writer.writerow([])
    row(_("Covered by"), _("Order"), _("Quantity (kg)"), _("Serial numbers"), _("Certificate"))
    for c in state.organiser:
        row(_("Organiser"), c.order_ref, c.quantity_kg, " ".join(c.serial_ranges),
            c.certificate_id or "")  # fmt: skip
    for c in state.attendees:  # an attendee's order reference is theirs alone
        row(_("Attendee"), "", c.quantity_kg, " ".join(c.serial_ranges), c.certificate_id or "")
    writer.writerow([])
    row(_("Certificate"), _("Certificate status"), _("Order"), _("Order type"), _("Quantity (kg)"),
        _("Verification link"), _("Why it was revoked"))  # fmt: skip
    for c in data.certificates:
        row(c["id"], certificate_status_label(c["status"]), c["order"],
            label(OrderKind(c["kind"])), c["quantity_kg"], c["url"],
            revocation_text(c["revocation_reason"]))  # fmt: skip
    writer.writerow([])
    row(_("Survey answer"), _("From"), _("Travel mode"), _("One-way distance (km)"), _("Comment"))
    for n, answer in enumerate(survey.responses(session, event), start=1):
        row(n, answer.origin or "", label(answer.mode), answer.one_way_km, answer.comment or "")
    return out.getvalue()


def _rate(event: Event) -> Decimal:
    return Decimal(event.trueup_answers or 0) / Decimal(event.trueup_attendees or 1)


def _render(template: str, **context: object) -> bytes:
    return _SHEETS.render(template, **context)


def render_report(session: Session, event: Event, base_url: str) -> bytes:
    data = gather(session, event, base_url)
    return _render("report.html", d=data, t=_t, verification_texts=VERIFICATION_TEXTS)


def render_poster(event: Event, base_url: str) -> bytes:
    text = survey_qr_text(base_url, event.code)
    zh, en = KIND_TEXTS[event.kind]
    return _render(
        "poster.html",
        event=event,
        kind_zh=zh,
        kind_en=en,
        dates=dates_text(event),
        url=text,
        qr=make_qr(text).svg(POSTER_QR_MM),
    )


def render_ticket_slips(event: Event, tickets: list[SurveyTicket], base_url: str) -> bytes:
    """A4 sheets of cut-out slips, each with a ticket's code and its own QR link."""
    slips = [
        {
            "code": tickets_service.display(t.code),
            "qr": make_qr(tickets_service.short_link(base_url, event, t, for_qr=True)).svg(
                SLIP_QR_MM
            ),
        }
        for t in tickets[:MAX_SLIPS]
    ]
    return _render("ticket_slips.html", event=event, slips=slips)
