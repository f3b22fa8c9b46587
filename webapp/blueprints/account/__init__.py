"""Register, log in and out, password change and reset, mobile-number sign-in, the account
page."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask

from webapp import unit_of_work
from webapp.services import sms
from webapp.services.messages import SmsCodeRequested
from webapp.services.throttle import Throttle, storage_uri

bp = Blueprint("account", __name__)
log = logging.getLogger(__name__)


def _send_sms_code(app: Flask, message: SmsCodeRequested) -> None:
    """After the commit: text the code. A failure is logged without the number or code; the
    person asks for a new code (the sending limit allows one a minute)."""
    try:
        sender = sms.sender_from_config(app.config)
        sender.send_code(message.phone, message.code, message.minutes)
    except Exception as exc:
        # SmsError's text is ours (no number, no code); any other only by its type, since
        # a library's message may quote the request.
        reason = str(exc) if isinstance(exc, sms.SmsError) else type(exc).__name__
        log.error("SMS code could not be sent: %s", reason)
    else:
        log.info("SMS code sent through %s", type(sender).__name__)


def _setup(state) -> None:
    app = state.app
    app.extensions["phone_throttle"] = Throttle(storage_uri(app.config))
    unit_of_work.on(app, SmsCodeRequested, _send_sms_code)


bp.record_once(_setup)

from webapp.blueprints.account import phone_views, views  # noqa: E402,F401
