"""Control characters are refused at the edge of the app, before any view runs.

A NUL byte cannot be stored in PostgreSQL text (psycopg raises), and other C0 controls,
DEL and the C1 range have no business in an address, a query, a form field or a JSON
string: a request carrying one in its path is answered 404 (no such page), in its query
string, form or JSON body 400, whatever the route. Form fields and JSON strings may hold
tab, line feed and carriage return (multi-line text); paths and queries may not.

The provider webhooks are exempt: their body is verified as signed bytes and parsed by the
provider's code, never stored as text.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, current_app, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import lazy_gettext as _l

from webapp.errors import DomainError, NotFound

_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_IN_ADDRESS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
EXEMPT_ENDPOINTS = frozenset({"payments.stripe_webhook"})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_MAX_DEPTH = 64

MESSAGE = _l("The request contains control characters (such as NUL) that are not allowed.")


def _json_has_control(value: Any, depth: int = 0) -> bool:
    if depth > _MAX_DEPTH:
        return False
    if isinstance(value, str):
        return _IN_TEXT.search(value) is not None
    if isinstance(value, dict):
        return any(
            _IN_TEXT.search(str(k)) is not None or _json_has_control(v, depth + 1)
            for k, v in value.items()
        )
    if isinstance(value, list):
        return any(_json_has_control(v, depth + 1) for v in value)
    return False


def refuse_control_characters() -> None:
    if request.endpoint in EXEMPT_ENDPOINTS:
        return
    if _IN_ADDRESS.search(request.path):
        raise NotFound(MESSAGE)
    for key, value in request.args.items(multi=True):
        if _IN_ADDRESS.search(key) or _IN_ADDRESS.search(value):
            raise DomainError(MESSAGE)
    if request.method not in _BODY_METHODS:
        return
    if request.is_json:
        return  # checked as it is decoded (BoundaryJSONProvider), within the view's limits
    for key, value in request.form.items(multi=True):
        if _IN_TEXT.search(key) or _IN_TEXT.search(value):
            raise DomainError(MESSAGE)
    for key, upload in request.files.items(multi=True):
        if _IN_TEXT.search(key) or _IN_TEXT.search(upload.filename or ""):
            raise DomainError(MESSAGE)


class BoundaryJSONProvider(DefaultJSONProvider):
    """JSON request bodies are decoded here (``request.get_json``, ``loads_body``): a string
    with a control character, escaped as ``\\u0000`` for instance, is refused with a 400."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        value = super().loads(s, **kwargs)
        if _json_has_control(value):
            raise DomainError(MESSAGE)
        return value


def loads_body(body: bytes) -> Any:
    """A JSON request body read by the view itself, checked like ``request.get_json``."""
    return current_app.json.loads(body)


def register(app: Flask) -> None:
    app.json = BoundaryJSONProvider(app)
    app.before_request(refuse_control_characters)
