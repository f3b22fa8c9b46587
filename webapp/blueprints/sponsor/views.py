"""The sponsorship page: choose plots, a dedication and a payment method; see the price;
confirm, which holds the plots in an order and opens the payment."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from webapp.blueprints.sponsor import bp
from webapp.blueprints.sponsor.forms import SponsorForm
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.i18n import current_lang
from webapp.labels import label
from webapp.models import DedicationKind, PaymentMethod, Plot, Privacy
from webapp.services.certificates.shares import SharesRefused
from webapp.services.payments import checkout
from webapp.services.plots import queries, reservations, sponsorship
from webapp.unit_of_work import committing
from webapp.web.checkout_fields import (
    buyer_client,
    default_method,
    order_locale,
    payment_choices,
    return_urls,
)


def _setup(form: SponsorForm, free: list[Plot]) -> None:
    lang = current_lang()
    form.plots.choices = [
        SelectChoice(p.code, f"{p.code} · {p.species.text('name', lang)}") for p in free
    ]
    form.privacy.choices = [SelectChoice(p.value, label(p)) for p in Privacy]
    form.dedication.choices = [SelectChoice(d.value, label(d)) for d in DedicationKind]
    form.method.choices = payment_choices(current_user)
    if form.method.data is None:
        form.method.data = default_method()


def _prefill(form: SponsorForm, free: list[Plot]) -> None:
    wanted = {c.strip().upper() for c in request.args.get("plots", "").split(",") if c.strip()}
    form.plots.data = [p.code for p in free if p.code in wanted]
    form.sponsor_name.data = current_user.display_name
    form.dedication.data = request.args.get("dedication", DedicationKind.MEMORIAL.value)


def _names(form: SponsorForm) -> tuple[str, ...]:
    """Group names from the uploaded file (which then fills the text box) or the text box."""
    upload = form.names_file.data
    if upload is not None and getattr(upload, "filename", ""):
        data = upload.read(sponsorship.shares.MAX_FILE_BYTES + 1)
        names = sponsorship.names_from_csv(data)
        form.names.data = "\n".join(names)
        return names
    return sponsorship.parse_names(form.names.data or "")


def _request(form: SponsorForm, site, plot_ids: list[int], names: tuple[str, ...]):
    return sponsorship.SponsorRequest(
        site=site,
        plot_ids=tuple(plot_ids),
        sponsor_name=form.sponsor_name.data or "",
        privacy=Privacy(form.privacy.data),
        dedication=DedicationKind(form.dedication.data),
        message=form.message.data or "",
        method=PaymentMethod(form.method.data),
        locale=order_locale(),
        names=names,
        # Invoice details only from buyers who may be invoiced (organisations).
        invoice_title=(form.invoice_title.data or "") if current_user.can_pay_by_transfer else "",
        invoice_tax_id=(form.invoice_tax_id.data or "") if current_user.can_pay_by_transfer else "",
    )


@bp.route("/sites/<site>/sponsor", methods=["GET", "POST"])
@login_required
def start(site: str):
    item = queries.site_by_code(db.session, site)
    if item is None:
        abort(404)
    free = sponsorship.free_plots(db.session, item)
    by_code = {p.code: p for p in free}
    form = SponsorForm()
    _setup(form, free)
    if request.method == "GET":
        _prefill(form, free)
    chosen: list[Plot] = []
    names: tuple[str, ...] = ()
    problem = None
    row_errors = []
    if form.validate_on_submit():
        try:
            names = _names(form)
            codes = [c for c in (form.plots.data or []) if c in by_code]
            missing = [c for c in (form.plots.data or []) if c not in by_code]
            if missing:
                raise DomainError(
                    _(
                        "No longer available: plot %(codes)s. Nothing was reserved; "
                        "please choose another plot.",
                        codes=", ".join(missing),
                    )
                )
            plot_ids = [by_code[c].id for c in codes]
            if names and not plot_ids and current_user.can_pay_by_transfer:
                plot_ids = sponsorship.choose_plots(db.session, item, len(names))
                picked = {p.id: p.code for p in free}
                form.plots.data = sorted(picked[i] for i in plot_ids)
            sponsor_request = _request(form, item, plot_ids, names)
            if "confirm" in request.form:
                with committing(db.session):
                    order = checkout.start_plot_sponsorship(
                        db.session,
                        user=current_user,
                        order_request=sponsor_request,
                        config=current_app.config,
                        return_urls=return_urls,
                        client=buyer_client(),
                    )
                return redirect(url_for("orders.detail", ref=order.ref))
            chosen = sponsorship.preview(db.session, current_user, sponsor_request)
        except SharesRefused as exc:
            db.session.rollback()
            problem = _("The list of names was refused; nothing was reserved.")
            row_errors = exc.errors
        except DomainError as exc:
            db.session.rollback()
            problem = str(exc.message)
    status = 400 if (form.errors or problem) else 200
    return (
        render_template(
            "sponsor/start.html",
            form=form,
            site=item,
            free=free,
            chosen=chosen,
            names=names,
            total=reservations.total_price(chosen) if chosen else None,
            projection=queries.projection,
            problem=problem,
            row_errors=row_errors,
            group=current_user.can_pay_by_transfer,
        ),
        status,
    )


@bp.get("/account/plots")
@login_required
def mine():
    summary = sponsorship.contribution(db.session, current_user)
    return render_template(
        "sponsor/mine.html",
        summary=summary,
        certificates=sponsorship.certificates_by_plot(db.session, summary.plots),
    )
