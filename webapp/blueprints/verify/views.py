"""``/v`` look-up, ``/v/<id>`` verify page, ``/V/<ID>/<TOKEN>`` from a scanned QR code.

The page answers VALID, REVOKED or NOT FOUND (404) from the registry. A scanned token's
signature is checked against the keyring first; it is shown as valid or invalid even
when the registry cannot be reached ("registry unreachable", 503), which is told apart
from "invalid".
"""

from __future__ import annotations

import contextlib
import logging

from flask import current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from webapp.blueprints.verify import bp
from webapp.extensions import db
from webapp.i18n import current_lang
from webapp.services import keys
from webapp.services.certificates import freshness, verification
from webapp.services.certificates.ids import normalize_public_id

log = logging.getLogger(__name__)


def _page(status: str, http_status: int, **context):
    response = render_template("verify/certificate.html", status=status, **context)
    return response, http_status


def _shareable() -> bool:
    """Whether this visitor may get (and leave) a rendered page shared with others."""
    return not current_user.is_authenticated and not session.get("_flashes")


def _verify(public_id: str, token: str | None):
    _key, keyring = keys.signing(current_app.config)
    canonical = normalize_public_id(public_id)
    check = None
    try:
        found = None
        if canonical is not None:
            found = verification.current(db.session, current_app.config, canonical)
        if token is not None:
            check = verification.check_token(
                keyring, public_id, token, found.record if found else None
            )
        if found is None:
            return _page("not_found", 404, queried=public_id, check=check)
    except SQLAlchemyError:
        log.exception("registry unreachable while verifying %s", public_id)
        with contextlib.suppress(SQLAlchemyError):
            db.session.rollback()
        if token is not None and check is None:
            check = verification.check_token(keyring, public_id, token, None)
        return _page("unreachable", 503, queried=public_id, check=check)
    record = found.record
    if token is not None or not _shareable():
        return _page(record.status, 200, record=record, check=check, queried=public_id)
    # The rendered page is keyed by the state it shows (``freshness``): after a
    # revocation the key differs, so no copy of the valid page can be served.
    store = freshness.copies(current_app.config)
    page_key = ("page", *found.key, public_id, current_lang())
    # The anonymous page holds no per-visitor token (the language form needs none), so it
    # is sent as stored and the visitor gets no session.
    html = store.get(page_key)
    if html is None:
        html, _status = _page(record.status, 200, record=record, check=None, queried=public_id)
        store.put(page_key, html)
    return html, 200


@bp.after_request
def _revalidate(response):
    # A browser or proxy must ask again each time: the answer may change with a revocation.
    response.headers.setdefault("Cache-Control", "no-cache")
    return response


@bp.get("/v")
def lookup():
    raw = request.args.get("id")
    if raw is None:
        return render_template("verify/lookup.html", value="", invalid=False)
    canonical = normalize_public_id(raw)
    if canonical is None:
        return render_template("verify/lookup.html", value=raw[:64], invalid=True), 400
    return redirect(url_for(".certificate", public_id=canonical))


@bp.get("/v/<public_id>")
def certificate(public_id: str):
    canonical = normalize_public_id(public_id)
    if canonical is not None and canonical != public_id:
        return redirect(url_for(".certificate", public_id=canonical), 301)
    return _verify(public_id, None)


@bp.get("/V/<public_id>")
def certificate_upper(public_id: str):
    canonical = normalize_public_id(public_id)
    if canonical is None:
        return _verify(public_id, None)
    return redirect(url_for(".certificate", public_id=canonical), 301)


@bp.get("/V/<public_id>/<token>")
@bp.get("/v/<public_id>/<token>", endpoint="scanned_lower")
def scanned(public_id: str, token: str):
    return _verify(public_id, token)
