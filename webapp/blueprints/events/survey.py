"""The attendee travel survey: a public form, no account.

Throttled with Flask-Limiter per client address *and* event (``SURVEY_RATE_LIMIT``) and
per event (``SURVEY_EVENT_RATE_LIMIT``); one answer per device, recognised by a random id
in a signed cookie (stored only as a keyed hash) — or one per ticket code (参会码) where the
organiser requires them; a ticket's link ``/E/<event>/<ticket>`` fills the code in.
"""

from __future__ import annotations

import secrets

from flask import (
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from itsdangerous import BadSignature, URLSafeSerializer
from wtforms import SelectChoice

from webapp.blueprints.events import bp
from webapp.blueprints.events.forms import SurveyForm
from webapp.errors import DomainError
from webapp.extensions import db, limiter
from webapp.i18n import current_lang
from webapp.labels import label
from webapp.models import Event, SurveyResponse, TravelMode
from webapp.services.events import offsets, records, survey, tickets
from webapp.services.footprint import geo
from webapp.services.payments import gateway
from webapp.unit_of_work import committing
from webapp.web import checkout_fields
from webapp.web.boundary import attempt
from webapp.web.checkout_fields import order_locale

DEVICE_COOKIE = "th_survey_device"
DEVICE_MAX_AGE = 400 * 24 * 3600


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="survey-device")


def _device_id() -> str:
    """This browser's survey id (from its signed cookie, or a new one set on the answer)."""
    if "survey_device" not in g:
        raw = request.cookies.get(DEVICE_COOKIE, "")
        try:
            value = _serializer().loads(raw) if raw else None
        except BadSignature:
            value = None
        g.survey_device_new = not isinstance(value, str)
        g.survey_device = value if isinstance(value, str) else secrets.token_urlsafe(18)
    return g.survey_device


def _device_hash() -> str:
    return survey.device_hash(current_app.config["SECRET_KEY"], _device_id())


def _with_cookie(response):
    if g.get("survey_device_new"):
        response.set_cookie(
            DEVICE_COOKIE,
            _serializer().dumps(_device_id()),
            max_age=DEVICE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
    return response


def _client_and_event() -> str:
    return f"{get_remote_address()}|{(request.view_args or {}).get('code', '')}"


def _event_only() -> str:
    return f"event|{(request.view_args or {}).get('code', '')}"


def _limit() -> str:
    return current_app.config["SURVEY_RATE_LIMIT"]


def _event_limit() -> str:
    return current_app.config["SURVEY_EVENT_RATE_LIMIT"]


def _answered(event: Event, ticket_code: str | None) -> SurveyResponse | None:
    return survey.answer_of(db.session, event, _device_hash(), ticket_code)


def _ticket_arg(event: Event) -> str | None:
    """The ticket code a link carries (``?t=``), where the event requires tickets."""
    if not event.survey_tickets_required:
        return None
    return tickets.normalise(request.args.get("t", ""))[:24] or None


@bp.route("/events/<code>/survey", methods=["GET", "POST"])
@limiter.limit(_limit, key_func=_client_and_event, methods=["POST"])
@limiter.limit(_event_limit, key_func=_event_only, methods=["POST"])
def survey_form(code: str):
    event = records.by_code(db.session, code)
    form = SurveyForm()
    form.mode.choices = [SelectChoice(m.value, label(m)) for m in TravelMode]
    problem = None
    if request.method == "GET" and not form.ticket.data:
        form.ticket.data = _ticket_arg(event)
    if form.validate_on_submit():
        ticket_code = form.ticket.data if event.survey_tickets_required else None
        try:
            with committing(db.session):
                survey.submit(
                    db.session,
                    event,
                    survey.Answer(
                        mode=TravelMode(form.mode.data),
                        origin=form.origin.data or "",
                        one_way_km=form.one_way_km.data or "",
                        comment=form.comment.data or "",
                    ),
                    device=_device_hash(),
                    ticket_code=ticket_code,
                )
            thanks = url_for(
                ".survey_thanks",
                code=event.code,
                t=tickets.normalise(ticket_code) if ticket_code else None,
            )
            return _with_cookie(redirect(thanks))
        except DomainError as exc:
            problem = str(exc.message)
            status = exc.status
    else:
        status = 400 if form.errors else 200
    existing = None
    if request.method == "GET":
        existing = _answered(event, _ticket_arg(event))
    response = make_response(
        render_template(
            "events/survey.html",
            event=event,
            form=form,
            problem=problem,
            existing=existing,
            cities=geo.city_names(current_lang()),
        ),
        status,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return _with_cookie(response)


@bp.get("/events/<code>/survey/thanks")
def survey_thanks(code: str):
    event = records.by_code(db.session, code)
    ticket = _ticket_arg(event)
    answer = _answered(event, ticket)
    kg = survey.personal_kg(event, answer) if answer is not None else None
    offset_url = url_for(".offset_my_travel", code=event.code, t=ticket)
    response = make_response(
        render_template(
            "events/survey_thanks.html", event=event, answer=answer, kg=kg, offset_url=offset_url
        )
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/E/<code>")
def survey_short(code: str):
    """The poster's QR code: an upper-case short link to the survey."""
    return redirect(url_for(".survey_form", code=code.upper()), 301)


@bp.get("/E/<code>/<ticket>")
def survey_short_ticket(code: str, ticket: str):
    """A ticket's own QR code: the survey with its ticket code filled in."""
    return redirect(url_for(".survey_form", code=code.upper(), t=ticket.upper()), 301)


@bp.post("/events/<code>/offset-my-travel")
@login_required
def offset_my_travel(code: str):
    """An attendee offsets their own trip, from the thank-you page of their answer."""
    event = records.by_code(db.session, code)
    answer = _answered(event, _ticket_arg(event))
    if answer is None:
        flash(_("We could not find an answer from this device."), "error")
        return redirect(url_for(".survey_form", code=event.code, t=_ticket_arg(event)))
    order = attempt(
        lambda: offsets.start_attendee(
            db.session,
            event,
            answer,
            actor=current_user,
            method=gateway.online_method(current_app.config),
            locale=order_locale(),
            config=current_app.config,
            return_urls=checkout_fields.return_urls,
            client=checkout_fields.buyer_client(),
        )
    )
    if order is not None:
        return redirect(url_for("orders.detail", ref=order.ref))
    return redirect(url_for(".survey_thanks", code=event.code, t=_ticket_arg(event)))
