from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from webapp.blueprints.account import bp
from webapp.blueprints.account.forms import (
    ChangePasswordForm,
    LoginForm,
    RegisterForm,
    ResetForm,
    ResetRequestForm,
)
from webapp.errors import DomainError
from webapp.extensions import db, limiter
from webapp.i18n import select_locale
from webapp.security import safe_next
from webapp.services import accounts, audit, mail
from webapp.unit_of_work import committing


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _reset_limit() -> str:
    return current_app.config["RESET_RATE_LIMIT"]


@bp.route("/account/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for(".account"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            with committing(db.session):
                user = accounts.register(
                    db.session,
                    email=form.email.data,
                    password=form.password.data,
                    display_name=form.display_name.data,
                    locale=select_locale(),
                    ip=request.remote_addr,
                )
        except DomainError as exc:
            form.email.errors.append(str(exc.message))
        else:
            login_user(user)
            flash(_("Welcome to Tanhui, %(name)s.", name=user.display_name), "success")
            return redirect(url_for(".account"))
    return render_template("account/register.html", form=form), 200 if not form.errors else 400


@bp.route("/account/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(form.next.data, url_for(".account")))
    if form.validate_on_submit():
        with committing(db.session):  # the attempt is audited either way
            user = accounts.authenticate(
                db.session,
                email=form.email.data,
                password=form.password.data,
                ip=request.remote_addr,
            )
        if user is not None:
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(form.next.data, url_for(".account")))
        form.password.errors.append(_("E-mail or password is not correct."))
    status = 400 if request.method == "POST" else 200
    return render_template("account/login.html", form=form), status


@bp.post("/account/logout")
def logout():
    if current_user.is_authenticated:
        # A copied session or remember-me cookie must not outlive the logout.
        with committing(db.session):
            accounts.end_sessions(db.session, current_user, reason="logout", ip=request.remote_addr)
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("public.home"))


@bp.post("/account/logout-everywhere")
@login_required
def logout_everywhere():
    with committing(db.session):
        accounts.end_sessions(db.session, current_user, reason="everywhere", ip=request.remote_addr)
    logout_user()
    flash(_("You have been logged out on every device."), "info")
    return redirect(url_for(".login"))


def _remembered() -> bool:
    name = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    return bool(request.cookies.get(name))


@bp.get("/account")
@login_required
def account():
    return render_template("account/account.html")


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            with committing(db.session):
                accounts.change_password(
                    db.session,
                    current_user,
                    current=form.current.data,
                    new=form.password.data,
                    ip=request.remote_addr,
                )
        except DomainError as exc:
            form.current.errors.append(str(exc.message))
        else:
            # The password change ended every session; this one continues under the new id.
            login_user(current_user._get_current_object(), remember=_remembered())
            flash(_("Your password has been changed."), "success")
            return redirect(url_for(".account"))
    return render_template("account/password.html", form=form), 400 if form.errors else 200


@bp.route("/account/reset", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        user = accounts.find_by_email(db.session, form.email.data)
        if user is not None:
            token = accounts.make_reset_token(current_app.config["SECRET_KEY"], user)
            with committing(db.session):
                audit.record(
                    db.session, "account.reset_requested", subject=user, ip=request.remote_addr
                )
            link = current_app.config["BASE_URL"] + url_for(".reset", token=token)
            mail.send(
                current_app.config,
                mail.Mail(
                    to=user.email,
                    subject=_("Reset your Tanhui password"),
                    text=_(
                        "Hello %(name)s,\n\nTo choose a new password, open this link within an hour:"  # noqa: E501
                        "\n\n%(link)s\n\nIf you did not ask for this, ignore this message.\n\n"
                        "— Tanhui 碳汇",
                        name=user.display_name,
                        link=link,
                    ),
                ),
            )
        # Same answer whether or not the account exists.
        flash(_("If an account exists for that address, we have sent a reset link to it."), "info")
        return redirect(url_for(".login"))
    return render_template("account/reset_request.html", form=form), 400 if form.errors else 200


@bp.route("/account/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def reset(token: str):
    form = ResetForm()
    if form.validate_on_submit():
        try:
            with committing(db.session):
                accounts.reset_password(
                    db.session,
                    secret_key=current_app.config["SECRET_KEY"],
                    token=token,
                    new=form.password.data,
                    max_age=current_app.config["PASSWORD_RESET_MAX_AGE"],
                    ip=request.remote_addr,
                )
        except DomainError as exc:
            flash(str(exc.message), "error")
            return redirect(url_for(".reset_request"))
        flash(_("Your password has been reset. Please log in."), "success")
        return redirect(url_for(".login"))
    return render_template("account/reset.html", form=form), 400 if form.errors else 200
