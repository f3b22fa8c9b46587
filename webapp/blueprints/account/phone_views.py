"""Mobile-number accounts: sign in (or register) with a one-time SMS code, bind a number to
an e-mail account, bind an e-mail and password to a mobile-number account.

The number being verified lives in the (signed) session between the two steps; a code is
never in the session, a URL or a log.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from webapp.blueprints.account import bp
from webapp.blueprints.account.forms import (
    BindEmailForm,
    BindPhoneCodeForm,
    PhoneCodeForm,
    PhoneForm,
)
from webapp.errors import DomainError
from webapp.extensions import db, limiter
from webapp.i18n import select_locale
from webapp.models import CodePurpose
from webapp.models.accounts import mask_phone
from webapp.security import safe_next
from webapp.services import phone_accounts, sms
from webapp.unit_of_work import committing

_FLOW = "phone_flow"


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _limits() -> phone_accounts.Limits:
    return phone_accounts.Limits.from_config(current_app.config)


def _throttle():
    return current_app.extensions["phone_throttle"]


@bp.before_request
def _phone_accounts_available() -> None:
    if request.endpoint in _PHONE_ENDPOINTS and not sms.phone_accounts_enabled(current_app.config):
        abort(404)


@bp.app_context_processor
def _phone_context() -> dict[str, object]:
    return {"phone_accounts_enabled": sms.phone_accounts_enabled(current_app.config)}


def _send(form: PhoneForm, purpose: CodePurpose) -> str | None:
    """Send a code to the form's number; the number (E.164) or None with the error shown."""
    try:
        phone = phone_accounts.normalise(form.phone.data)
        with committing(db.session):
            phone_accounts.request_code(
                db.session,
                phone=phone,
                purpose=purpose,
                limits=_limits(),
                throttle=_throttle(),
                address=request.remote_addr,
                user=current_user._get_current_object() if purpose is CodePurpose.BIND else None,
            )
    except DomainError as exc:
        form.phone.errors.append(str(exc.message))
        form.status = exc.status  # type: ignore[attr-defined]
        return None
    return phone


@bp.route("/account/phone", methods=["GET", "POST"])
def phone():
    form = PhoneForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if current_user.is_authenticated:
            return redirect(safe_next(form.next.data, url_for(".account")))
    if form.validate_on_submit():
        number = _send(form, CodePurpose.SIGN_IN)
        if number is not None:
            session[_FLOW] = {
                "phone": number,
                "purpose": CodePurpose.SIGN_IN.value,
                "next": safe_next(form.next.data, ""),
            }
            return redirect(url_for(".phone_verify"))
    status = getattr(form, "status", 400) if request.method == "POST" else 200
    return render_template("account/phone.html", form=form), status


def _flow(purpose: CodePurpose) -> dict | None:
    flow = session.get(_FLOW)
    if not isinstance(flow, dict) or flow.get("purpose") != purpose.value:
        return None
    try:
        phone_accounts.normalise(flow.get("phone"))
    except DomainError:
        return None
    return flow


@bp.route("/account/phone/verify", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def phone_verify():
    flow = _flow(CodePurpose.SIGN_IN)
    if flow is None:
        return redirect(url_for(".phone"))
    form = PhoneCodeForm()
    new_code_needed = False
    status = 200
    if form.validate_on_submit():
        with committing(db.session):  # wrong guesses are counted: commit either way
            outcome = phone_accounts.sign_in(
                db.session,
                phone=flow["phone"],
                code=form.code.data,
                limits=_limits(),
                throttle=_throttle(),
                display_name=form.display_name.data,
                locale=select_locale(),
                ip=request.remote_addr,
            )
        if outcome.ok:
            session.pop(_FLOW, None)
            login_user(outcome.user, remember=form.remember.data)
            flash(_("You are signed in, %(name)s.", name=outcome.user.display_name), "success")
            return redirect(safe_next(flow.get("next"), url_for(".account")))
        form.code.errors.append(str(outcome.error))
        new_code_needed, status = outcome.new_code_needed, outcome.status
    elif request.method == "POST":
        status = 400
    return render_template(
        "account/phone_verify.html",
        form=form,
        masked=mask_phone(flow["phone"]),
        new_code_needed=new_code_needed,
        resend_url=url_for(".phone"),
    ), status


@bp.route("/account/phone/bind", methods=["GET", "POST"])
@login_required
def phone_bind():
    form = PhoneForm()
    if form.validate_on_submit():
        number = _send(form, CodePurpose.BIND)
        if number is not None:
            session[_FLOW] = {"phone": number, "purpose": CodePurpose.BIND.value}
            return redirect(url_for(".phone_bind_verify"))
    status = getattr(form, "status", 400) if request.method == "POST" else 200
    return render_template("account/phone_bind.html", form=form), status


@bp.route("/account/phone/bind/verify", methods=["GET", "POST"])
@login_required
@limiter.limit(_login_limit, methods=["POST"])
def phone_bind_verify():
    flow = _flow(CodePurpose.BIND)
    if flow is None:
        return redirect(url_for(".phone_bind"))
    form = BindPhoneCodeForm()
    new_code_needed = False
    status = 200
    if form.validate_on_submit():
        with committing(db.session):
            outcome = phone_accounts.bind_phone(
                db.session,
                current_user,
                phone=flow["phone"],
                code=form.code.data,
                limits=_limits(),
                throttle=_throttle(),
                ip=request.remote_addr,
            )
        if outcome.ok:
            session.pop(_FLOW, None)
            flash(_("Your mobile number %(number)s is added.", number=current_user.masked_phone))
            return redirect(url_for(".account"))
        form.code.errors.append(str(outcome.error))
        new_code_needed, status = outcome.new_code_needed, outcome.status
    elif request.method == "POST":
        status = 400
    return render_template(
        "account/phone_verify.html",
        form=form,
        masked=mask_phone(flow["phone"]),
        new_code_needed=new_code_needed,
        resend_url=url_for(".phone_bind"),
    ), status


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
def email_bind():
    if current_user.email:
        return redirect(url_for(".account"))
    form = BindEmailForm()
    if form.validate_on_submit():
        try:
            with committing(db.session):
                phone_accounts.bind_email(
                    db.session,
                    current_user,
                    email=form.email.data,
                    password=form.password.data,
                    ip=request.remote_addr,
                )
        except DomainError as exc:
            form.email.errors.append(str(exc.message))
        else:
            flash(_("Your e-mail address and password are added."), "success")
            return redirect(url_for(".account"))
    return render_template("account/email_bind.html", form=form), 400 if form.errors else 200


_PHONE_ENDPOINTS = frozenset(
    {"account.phone", "account.phone_verify", "account.phone_bind", "account.phone_bind_verify"}
)
