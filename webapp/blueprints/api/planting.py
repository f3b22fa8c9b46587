"""Planting days and duty certificates as JSON (public data only: no names unless chosen,
a duty certificate's holder as initials, no e-mail, no phone)."""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, url_for

from webapp import localtime
from webapp.blueprints.api import bp
from webapp.extensions import db
from webapp.labels import duty_revocation_text, in_both
from webapp.models import DutyCertificate, PlantingDay
from webapp.models.base import utcnow
from webapp.services.planting import duty as duty_service
from webapp.services.planting import queries
from webapp.services.registry.privacy import initials


def _day_dict(day: PlantingDay) -> dict[str, Any]:
    return {
        "code": day.code,
        "site": day.site.code,
        "site_name_zh": day.site.name_zh,
        "site_name_en": day.site.name_en,
        "date": day.starts_at.astimezone(localtime.zone()).date().isoformat(),
        "starts_at": day.starts_at.astimezone(localtime.zone()).isoformat(),
        "ends_at": day.ends_at.astimezone(localtime.zone()).isoformat(),
        "status": day.status.value,
        "capacity": day.capacity,
        "registered": day.places_taken,
        "places_left": day.places_left,
        "trees": day.trees_available,
        "trees_planted": queries.trees_planted(db.session, day),
        "plots": [p.code for p in day.plots],
        "demo": day.is_demo,
        "url": url_for("planting.day", code=day.code, _external=True),
    }


@bp.get("/planting-days")
def planting_days():
    now = utcnow()
    days = queries.upcoming(db.session, now) + queries.past(db.session, now)
    return jsonify(planting_days=[_day_dict(d) for d in days])


@bp.get("/planting-days/<code>")
def planting_day(code: str):
    day = queries.public_day_by_code(db.session, code)
    if day is None:
        abort(404)
    body = _day_dict(day)
    body["meeting_point"] = day.meeting_point
    body["what_to_bring"] = day.what_to_bring
    body["safety_notes"] = day.safety_notes
    results = queries.results(db.session, day)
    body["results"] = {
        "attended": results.attended,
        "trees_planted": results.trees,
        "plots": [
            {
                "plot": r.plot.code,
                "trees": r.trees,
                "survival": None
                if r.survival is None
                else {"alive": r.survival[0], "on": r.survival[1].isoformat()},
            }
            for r in results.plots
        ],
        "planters_public": results.planters_public,
    }
    return jsonify(body)


def _duty_dict(certificate: DutyCertificate) -> dict[str, Any]:
    revocation = None
    if certificate.revoked_at is not None:
        zh, en = in_both(
            duty_revocation_text, certificate.revocation_reason, certificate.revocation_note
        )
        revocation = {
            "revoked_on": localtime.local_date(certificate.revoked_at).isoformat(),
            "revoked_at": localtime.local_iso(certificate.revoked_at),
            "reason": certificate.revocation_reason.value
            if certificate.revocation_reason
            else None,
            "reason_text_zh": zh,
            "reason_text_en": en,
        }
    return {
        "public_id": certificate.public_id,
        "year": certificate.year,
        "trees_total": certificate.total_trees,
        "trees_planted": certificate.trees_planted,
        "trees_converted": certificate.trees_converted,
        "holder_public": initials(certificate.holder_name),
        "issued_on": localtime.local_date(certificate.issued_at).isoformat(),
        "status": "revoked" if certificate.revoked_at is not None else "valid",
        "revocation": revocation,
    }


@bp.get("/duty-certificates/<public_id>")
def duty_certificate(public_id: str):
    """Read from the row on every request (never a stale "valid")."""
    certificate = duty_service.by_public_id(db.session, public_id.strip().upper()[:20])
    if certificate is None:
        abort(404)
    response = jsonify(_duty_dict(certificate))
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
