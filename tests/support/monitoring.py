"""Monitoring periods and verifications recorded through the services (plain helpers)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import current_app

from webapp.extensions import db
from webapp.services import storage
from webapp.services.registry import monitoring
from webapp.unit_of_work import committing

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def pdf(tag: str) -> bytes:
    """A small PDF whose bytes (and so hash) differ per ``tag``."""
    return PDF + f"% {tag}\n".encode()


def _store():
    return storage.from_config(current_app.config, "certificates")


def record_period(project, actor, *, tag="report", start=date(2025, 1, 1), end=date(2025, 12, 31)):
    """Record a period and store its report, as the staff page does."""
    document = monitoring.prepare_pdf(pdf(tag))
    with committing(db.session):
        period = monitoring.record_period(
            db.session,
            project,
            monitoring.PeriodData(start, end, "样地实测", Decimal("40")),
            document,
            actor=actor,
        )
        monitoring.save(_store(), document)
    return period


def record_verification(period, actor, verified_kg, *, tag="statement", price="90.00"):
    document = monitoring.prepare_pdf(pdf(tag))
    with committing(db.session):
        monitoring.record_verification(
            db.session,
            period,
            monitoring.VerificationData("中环联合认证中心", verified_kg, Decimal(price)),
            document,
            actor=actor,
        )
        monitoring.save(_store(), document)
    return period


def approve(period, actor):
    with committing(db.session):
        return monitoring.approve_verification(db.session, period, actor=actor)
