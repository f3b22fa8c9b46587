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
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import SQLAlchemyError

from webapp.blueprints.verify import bp
from webapp.blueprints.verify.cache import MARK, PageCache
from webapp.extensions import db
from webapp.i18n import current_lang
from webapp.services import keys
from webapp.services.certificates import verification
from webapp.services.certificates.ids import normalize_public_id

log = logging.getLogger(__name__)


def _page(status: str, http_status: int, **context):
    response = render_template("verify/certificate.html", status=status, **context)
    return response, http_status


def _verify(public_id: str, token: str | None):
    key, keyring = keys.signing(current_app.config)
    canonical = normalize_public_id(public_id)
    check = None
    try:
        certificate = verification.find(db.session, canonical) if canonical else None
        if token is not None:
            check = verification.check_token(keyring, public_id, token, certificate)
        if certificate is None:
            return _page("not_found", 404, queried=public_id, check=check)
        record = verification.public_record(db.session, certificate, key=key)
    except SQLAlchemyError:
        log.exception("registry unreachable while verifying %s", public_id)
        with contextlib.suppress(SQLAlchemyError):
            db.session.rollback()
        if token is not None and check is None:
            check = verification.check_token(keyring, public_id, token, None)
        return _page("unreachable", 503, queried=public_id, check=check)
    return _page(record.status, 200, record=record, check=check, queried=public_id)


@bp.get("/v")
def lookup():
    raw = request.args.get("id")
    if raw is None:
        return render_template("verify/lookup.html", value="", invalid=False)
    canonical = normalize_public_id(raw)
    if canonical is None:
        return render_template("verify/lookup.html", value=raw[:64], invalid=True), 400
    return redirect(url_for(".certificate", public_id=canonical))


def _page_cache() -> PageCache | None:
    seconds = current_app.config.get("VERIFY_PAGE_CACHE_SECONDS", 0)
    if not seconds:
        return None
    cache = current_app.extensions.get("tanhui_verify_pages")
    if cache is None:
        cache = current_app.extensions["tanhui_verify_pages"] = PageCache(seconds)
    return cache


def _cache_key(public_id: str) -> tuple | None:
    """What the page depends on, or None when it must not come from the cache."""
    if current_user.is_authenticated or session.get("_flashes"):
        return None
    return (public_id, current_lang())


@bp.get("/v/<public_id>")
def certificate(public_id: str):
    canonical = normalize_public_id(public_id)
    if canonical is not None and canonical != public_id:
        return redirect(url_for(".certificate", public_id=canonical), 301)
    cache = _page_cache() if canonical is not None else None
    key = _cache_key(canonical) if cache is not None else None
    if key is not None:
        html = cache.get(key)
        if html is not None:
            return html.replace(MARK, generate_csrf())
    page, status = _verify(public_id, None)
    if key is not None and status == 200:
        cache.put(key, page.replace(generate_csrf(), MARK))
    return page, status


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
