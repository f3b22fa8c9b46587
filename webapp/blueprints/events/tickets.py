"""Survey ticket codes (参会码) on the event management page: issue, require, download."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from webapp.blueprints.events import bp
from webapp.blueprints.events.views import _download, _member_event
from webapp.extensions import db
from webapp.services.events import report, tickets
from webapp.web.boundary import attempt


@bp.post("/events/<code>/tickets")
@login_required
def issue_tickets(code: str):
    item = _member_event(code)
    if not FlaskForm().validate_on_submit():
        flash(_("The form has expired; please try again."), "error")
        return redirect(url_for(".manage", code=item.code, _anchor="tickets"))
    raw = (request.form.get("how_many") or "").strip()
    how_many = int(raw) if raw.isdigit() and len(raw) <= 6 else 0
    made = attempt(
        lambda: tickets.generate(db.session, item, how_many, actor=current_user),
    )
    if made is not None:
        flash(_("%(num)s ticket codes issued.", num=len(made)), "success")
    return redirect(url_for(".manage", code=item.code, _anchor="tickets"))


@bp.post("/events/<code>/tickets/required")
@login_required
def require_tickets(code: str):
    item = _member_event(code)
    if FlaskForm().validate_on_submit():
        required = request.form.get("required") == "1"
        attempt(
            lambda: tickets.set_required(db.session, item, actor=current_user, required=required),
            _("Each answer now needs a ticket code.")
            if required
            else _("Answers no longer need a ticket code."),
        )
    return redirect(url_for(".manage", code=item.code, _anchor="tickets"))


@bp.get("/events/<code>/tickets.csv")
@login_required
def tickets_csv(code: str):
    item = _member_event(code)
    text = tickets.csv_text(db.session, item, current_app.config["BASE_URL"])
    return _download(text.encode("utf-8-sig"), "text/csv", f"{item.code}-ticket-codes.csv")


@bp.get("/events/<code>/tickets.pdf")
@login_required
def ticket_slips(code: str):
    item = _member_event(code)
    data = report.render_ticket_slips(
        item, tickets.listing(db.session, item), current_app.config["BASE_URL"]
    )
    return _download(data, "application/pdf", f"{item.code}-ticket-slips.pdf", inline=True)
