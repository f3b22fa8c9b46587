from __future__ import annotations

from flask import current_app, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.blueprints.public import bp
from webapp.errors import Forbidden
from webapp.extensions import csrf, db
from webapp.i18n import LANG_COOKIE
from webapp.security import from_this_site, safe_next
from webapp.services import accounts
from webapp.unit_of_work import committing


@bp.get("/")
def home():
    return render_template("public/home.html")


@bp.get("/.well-known/tanhui-keys.json")
def well_known_keys():
    from flask import jsonify

    from webapp.services import keys
    from webapp.services.signing import well_known_document

    _key, keyring = keys.signing(current_app.config)
    response = jsonify(well_known_document(keyring))
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.post("/lang")
@csrf.exempt
def set_language():
    # No CSRF token: the form is on every page, and a token would give each anonymous
    # visitor a session, so pages shared between visitors (the verify page) could not be
    # sent as they are. The browser's own word on where the request comes from stands in.
    if not from_this_site():
        raise Forbidden(_("The language can only be changed from this site's pages."))
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        lang = current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user.is_authenticated:
        with committing(db.session):
            accounts.set_locale(current_user, lang)
    response = make_response(redirect(safe_next(request.form.get("next"), url_for(".home"))))
    response.set_cookie(
        LANG_COOKIE,
        lang,
        max_age=60 * 60 * 24 * 365,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
    )
    return response
