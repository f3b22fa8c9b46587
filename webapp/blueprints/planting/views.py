"""Public planting-day pages, registration, the holder's passes, and the pass check page."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

import webapp.localtime as localtime
from webapp.blueprints.planting import bp
from webapp.blueprints.planting.forms import HoursForm, ProposalForm, RegisterForm
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.i18n import current_lang
from webapp.labels import label
from webapp.models import MemorialSite, PlantingDayStatus, Privacy, RegistrationStatus, Role
from webapp.models.base import utcnow
from webapp.security import role_required
from webapp.services import accounts, keys
from webapp.services.certificates import shares
from webapp.services.certificates.qr import make_qr
from webapp.services.planting import duty as duty_service
from webapp.services.planting import passes, points, proposals, queries, registrations
from webapp.services.plots import rangers as plot_rangers
from webapp.services.registry.privacy import initials
from webapp.unit_of_work import committing
from webapp.web.planting_day_form import day_input, fill_choices

PASS_QR_MM = 45


def _day_or_404(code: str):
    day = queries.public_day_by_code(db.session, code)
    if day is None:
        abort(404)
    return day


def _register_form() -> RegisterForm:
    form = RegisterForm()
    form.privacy.choices = [(p.value, label(p)) for p in Privacy]
    if request.method == "GET" and current_user.is_authenticated:
        form.your_name.data = current_user.display_name
    return form


@bp.get("/planting-days")
def days():
    now = utcnow()
    return render_template(
        "planting/days.html",
        upcoming=queries.upcoming(db.session, now),
        past=queries.past(db.session, now),
    )


def _render_day(day, form, status=200):
    now = utcnow()
    held = taken = None
    if current_user.is_authenticated:
        held = next(
            (
                r
                for r in day.registrations
                if r.user_id == current_user.id and r.status is not RegistrationStatus.CANCELLED
            ),
            None,
        )
        taken = registrations.outcome(db.session, held) if held else None
    over = day.ends_at <= now
    return render_template(
        "planting/day.html",
        day=day,
        form=form,
        over=over,
        open=day.status is PlantingDayStatus.SCHEDULED and day.starts_at > now,
        results=queries.results(db.session, day) if over else None,
        waiting=queries.waiting_count(db.session, day),
        species=sorted({p.species for p in day.plots}, key=lambda s: s.code),
        held=held,
        held_outcome=taken,
    ), status


@bp.get("/planting-days/<code>")
def day(code: str):
    return _render_day(_day_or_404(code), _register_form())


def _people(form: RegisterForm) -> list[registrations.Person]:
    people = [registrations.Person(form.your_name.data or "")]
    people += [registrations.Person(n) for n in (form.adults.data or "").splitlines() if n.strip()]
    people += [
        registrations.Person(n, is_child=True)
        for n in (form.children.data or "").splitlines()
        if n.strip()
    ]
    upload = form.names_file.data
    if upload and getattr(upload, "filename", ""):
        rows = shares.parse_csv(upload.read(shares.MAX_FILE_BYTES + 1))
        people += [registrations.Person(row.name) for row in rows]
    return people


@bp.post("/planting-days/<code>/register")
@login_required
def register(code: str):
    item = _day_or_404(code)
    form = _register_form()
    if not form.validate_on_submit():
        return _render_day(item, form, 400)
    try:
        people = _people(form)
        with committing(db.session):
            registration = registrations.register(
                db.session,
                item,
                current_user,
                people,
                group_name=form.group_name.data or None,
                name_privacy=Privacy(form.privacy.data),
                locale=current_lang(),
            )
            message = registrations.outcome(db.session, registration)
    except shares.SharesRefused as exc:
        for error in exc.errors[:10]:
            line = _("Line %(n)s: ", n=error.line) if error.line else ""
            form.names_file.errors = [*form.names_file.errors, f"{line}{error.message}"]
        return _render_day(item, form, 400)
    except DomainError as exc:
        flash(str(exc.message), "error")
        return _render_day(item, form, exc.status)
    flash(message, "success" if registration.status is RegistrationStatus.REGISTERED else "info")
    return redirect(url_for(".mine"))


@bp.get("/planting-days/points")
def points_rules():
    return render_template("planting/points.html", rules=points.RULES)


@bp.get("/account/planting")
@login_required
def mine():
    key, _keyring = keys.signing(current_app.config)
    base = current_app.config["BASE_URL"]
    items = []
    for registration in queries.registrations_of(db.session, current_user):
        qr = None
        if registration.status is RegistrationStatus.REGISTERED:
            text = passes.qr_text(
                base,
                key,
                passes.PassClaims(
                    pass_id=registration.pass_id,
                    day_code=registration.day.code,
                    site_code=registration.day.site.code,
                    places=registration.places,
                ),
            )
            qr = {"text": text, "svg": make_qr(text).svg(PASS_QR_MM)}
        items.append(
            {
                "registration": registration,
                "outcome": registrations.outcome(db.session, registration),
                "qr": qr,
            }
        )
    return render_template("planting/mine.html", items=items, now=utcnow())


@bp.post("/account/planting/<pass_id>/cancel")
@login_required
def cancel(pass_id: str):
    registration = queries.registration_by_pass(db.session, pass_id)
    if registration is None or registration.user_id != current_user.id:
        abort(404)
    try:
        with committing(db.session):
            registrations.cancel(db.session, registration, current_user)
    except DomainError as exc:
        flash(str(exc.message), "error")
    else:
        flash(_("Your registration is cancelled; your places went to the waiting list."))
    return redirect(url_for(".mine"))


@bp.get("/T/<path:rest>")
def pass_check(rest: str):
    """Where a phone camera lands when it reads a pass: the signature checked, no names."""
    _key, keyring = keys.signing(current_app.config)
    try:
        claims = passes.verify(keyring, rest)
    except passes.PassError:
        return render_template("planting/pass.html", claims=None, day=None), 400
    day = queries.public_day_by_code(db.session, claims.day_code)
    return render_template("planting/pass.html", claims=claims, day=day)


def _year(value: str | None) -> int:
    this_year = localtime.today().year
    try:
        year = int(value) if value else this_year
    except ValueError:
        abort(404)
    if not 2000 <= year <= this_year:
        abort(404)
    return year


@bp.get("/account/duty")
@login_required
def duty():
    year = _year(request.args.get("year"))
    record = duty_service.record(db.session, current_user, year, current_app.config)
    return render_template(
        "planting/duty.html",
        record=record,
        certificates=duty_service.certificates_of(db.session, current_user, year),
        year=year,
        years=list(range(localtime.today().year, 2019, -1)),
        rule=duty_service.rule_for(current_app.config, ""),
        points=points.for_record(record),
        minimum=duty_service.TREES_PER_YEAR_MIN,
        maximum=duty_service.TREES_PER_YEAR_MAX,
    )


@bp.get("/account/duty/<int:year>.pdf")
@login_required
def duty_pdf(year: int):
    year = _year(str(year))
    key, _keyring = keys.signing(current_app.config)
    with committing(db.session):
        certificate, record = duty_service.issue(db.session, current_user, year, current_app.config)
        public_id = certificate.public_id
    certificate = duty_service.by_public_id(db.session, public_id)
    text = duty_service.qr_text(current_app.config["BASE_URL"], key, certificate)
    pdf = duty_service.render_pdf(certificate, record, text, current_app.config)
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=tanhui-duty-{year}-{public_id}.pdf"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/D/<path:rest>")
def duty_check(rest: str):
    """Where a duty certificate's QR code leads: signature, the figures it stated, and
    whether it still stands (read from its row on every request: never a stale VALID)."""
    _key, keyring = keys.signing(current_app.config)
    try:
        claims = duty_service.verify(keyring, rest)
    except duty_service.DutyTokenError:
        response = make_response(
            render_template("planting/duty_check.html", claims=None, certificate=None), 400
        )
    else:
        certificate = duty_service.by_public_id(db.session, claims.public_id)
        matches = (
            certificate is not None
            and certificate.year == claims.year
            and certificate.total_trees == claims.total
        )
        response = make_response(
            render_template(
                "planting/duty_check.html",
                claims=claims,
                certificate=certificate if matches else None,
                holder=initials(certificate.holder_name) if matches else None,
            ),
            200 if matches else 404,
        )
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/planting-days/volunteering", methods=["GET", "POST"])
@role_required(Role.RANGER, Role.ADMIN)
def volunteering():
    """Rangers record volunteers' hours (志愿服务) at their sites."""
    form = HoursForm()
    sites = plot_rangers.sites_for(db.session, current_user)
    form.site.choices = [(s.id, f"{s.code} · {s.text('name', current_lang())}") for s in sites]
    if request.method == "GET" and not form.day.data:
        form.day.data = localtime.today()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            site = next((s for s in sites if s.id == form.site.data), None)
            if site is None:
                abort(404)
            person = accounts.find_by_email(db.session, form.email.data or "")
            try:
                with committing(db.session):
                    duty_service.record_hours(
                        db.session,
                        ranger=current_user,
                        person=person,
                        site=site,
                        day=form.day.data,
                        hours=form.hours.data,
                        note=form.note.data or "",
                    )
            except DomainError as exc:
                flash(str(exc.message), "error")
                status = exc.status
            else:
                flash(_("%(hours)s hours recorded.", hours=form.hours.data), "success")
                return redirect(url_for(".volunteering"))
        else:
            status = 400
    return render_template("planting/volunteering.html", form=form), status


@bp.get("/account/planting-proposals")
@role_required(*proposals.MAY_PROPOSE)
def proposals_mine():
    """The organisation's proposed planting days and staff's decisions."""
    return render_template(
        "planting/proposals.html", items=proposals.of_proposer(db.session, current_user)
    )


@bp.route("/account/planting-proposals/new", methods=["GET", "POST"])
@role_required(*proposals.MAY_PROPOSE)
def propose():
    form = fill_choices(ProposalForm(), db.session, current_lang())
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            site = db.session.get(MemorialSite, form.site.data)
            if site is None:
                abort(404)
            try:
                with committing(db.session):
                    day = proposals.propose(
                        db.session, site, day_input(form), form.note.data or "",
                        proposer=current_user,
                    )  # fmt: skip
            except DomainError as exc:
                flash(str(exc.message), "error")
                status = exc.status
            else:
                flash(
                    _("Your proposal %(code)s is sent; staff will decide.", code=day.code),
                    "success",
                )
                return redirect(url_for(".proposals_mine"))
        else:
            status = 400
    return render_template("planting/propose.html", form=form), status


@bp.post("/account/planting-proposals/<code>/withdraw")
@role_required(*proposals.MAY_PROPOSE)
def withdraw_proposal(code: str):
    day = proposals.proposal_by_code(db.session, current_user, code)
    if day is None:
        abort(404)
    try:
        with committing(db.session):
            proposals.withdraw(db.session, day, actor=current_user)
    except DomainError as exc:
        flash(str(exc.message), "error")
    else:
        flash(_("Your proposal is withdrawn."), "success")
    return redirect(url_for(".proposals_mine"))
