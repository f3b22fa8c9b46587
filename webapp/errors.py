"""Domain errors and the single error handler answering HTML or JSON."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from webapp.extensions import db

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the domain was broken; the message is safe to show the user."""

    status = 400

    def __init__(self, message: object, **params: object) -> None:
        super().__init__(str(message))
        self.message = message
        self.params = params


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


_TITLES = {
    400: _l("Bad request"),
    403: _l("Access denied"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    409: _l("Not possible right now"),
    413: _l("Upload too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
}
_EXPLANATIONS = {
    400: _l("The request could not be understood. Please check what you entered."),
    403: _l("You do not have permission to see this page."),
    404: _l("We could not find that page. It may have moved, or the address may be mistyped."),
    405: _l("This address does not accept that kind of request."),
    409: _l("This cannot be done in the current state. Please reload the page and try again."),
    413: _l("The file or form you sent is larger than we accept."),
    429: _l("You have tried too many times in a short while. Please wait a minute and try again."),
    500: _l("An unexpected error occurred. It has been logged; please try again later."),
}


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/webhooks/")) or (
        request.accept_mimetypes.best == "application/json"
    )


def _respond(status: int, message: str | None = None):
    title = str(_TITLES.get(status, _TITLES[500]))
    explanation = message or str(_EXPLANATIONS.get(status, _EXPLANATIONS[500]))
    if wants_json():
        return jsonify(error={"status": status, "title": title, "message": explanation}), status
    return (
        render_template("errors/error.html", status=status, title=title, explanation=explanation),
        status,
    )


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        return _respond(exc.status, str(exc.message))

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return _respond(
            400,
            str(
                _l(
                    "The form expired or was not sent from this site. "
                    "Please reload the page and try again."
                )
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        if status == 500:
            db.session.rollback()
        body, status = _respond(status)
        response = make_response(body, status)
        # A 405 says which methods the address takes (RFC 9110), as werkzeug's own would.
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        db.session.rollback()
        log.exception("unhandled error", exc_info=exc)
        return _respond(InternalServerError.code)
