"""Organisations and zero-carbon events: dashboards, event pages, the attendee survey,
offsets and true-up, reports."""

from flask import Blueprint

from webapp.services.events import trueup

bp = Blueprint("events", __name__)

# The sentence on what an event's actual footprint rests on (badge, pages).
bp.add_app_template_global(trueup.trueup_text, "trueup_text")

from webapp.blueprints.events import refunds, survey, tickets, views  # noqa: E402,F401
