"""Organisations and zero-carbon events: dashboards, event pages, the attendee survey,
offsets and true-up, reports."""

from flask import Blueprint

bp = Blueprint("events", __name__)

from webapp.blueprints.events import refunds, survey, tickets, views  # noqa: E402,F401
