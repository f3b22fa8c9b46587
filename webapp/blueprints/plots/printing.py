"""Printable PDFs for a site: plot plaques and the entrance poster (staff only)."""

from __future__ import annotations

from flask import Response, abort, current_app
from flask_login import current_user

from webapp.blueprints.plots import bp
from webapp.extensions import db
from webapp.models import Role
from webapp.security import role_required
from webapp.services.plots import plaques, queries, rangers


def _site_for_staff(code: str):
    site = queries.site_by_code(db.session, code)
    if site is None:
        abort(404)
    if not rangers.may_report(db.session, current_user, site):
        abort(403)
    return site


def _pdf(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/sites/<code>/plaques.pdf")
@role_required(Role.RANGER, Role.ADMIN)
def plaques_pdf(code: str):
    site = _site_for_staff(code)
    data = plaques.render_plaques(
        site, queries.site_plots(db.session, site), current_app.config["BASE_URL"]
    )
    return _pdf(data, f"{site.code}-plaques.pdf")


@bp.get("/sites/<code>/poster.pdf")
@role_required(Role.RANGER, Role.ADMIN)
def poster_pdf(code: str):
    site = _site_for_staff(code)
    data = plaques.render_poster(
        site,
        queries.site_species(db.session, site),
        len(queries.site_plots(db.session, site)),
        current_app.config["BASE_URL"],
    )
    return _pdf(data, f"{site.code}-poster.pdf")
