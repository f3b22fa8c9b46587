"""The owner takes back the surplus of a true-up below what was offset (多退).

GET shows what would happen (kilograms, money, the serials that return); POST does it,
once: the service recomputes everything under the orders' locks, commits here, and the
notice and the new certificate's PDF follow after the commit.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp import tasks
from webapp.blueprints.events import bp
from webapp.blueprints.events.forms import SurplusRefundForm
from webapp.blueprints.events.views import _member_event
from webapp.errors import DomainError, NotFound
from webapp.extensions import db
from webapp.i18n import money, tonnes_from_kg
from webapp.models import MemberRole
from webapp.services import keys
from webapp.services.events import organisations, surplus
from webapp.services.payments import gateway


def _owned_event(code: str):
    """The event if the signed-in user owns its organisation (404 otherwise)."""
    item = _member_event(code)
    member = organisations.membership(db.session, item.organisation, current_user)
    if member is None or member.role is not MemberRole.OWNER:
        raise NotFound(_("We could not find that event."))
    return item


def after_commit(outcome: surplus.Outcome) -> None:
    """Tell the payer and render the re-issued certificate, after the commit."""
    if outcome.result != "refunded" or outcome.order is None:
        return
    tasks.dispatch(
        db.session,
        current_app.config,
        "after_partial_refund",
        outcome.order.id,
        str(outcome.amount),
        outcome.kg,
        outcome.certificate.id if outcome.certificate is not None else None,
    )


def outcome_message(outcome: surplus.Outcome) -> tuple[str, str]:
    """The flash message and its category."""
    t = tonnes_from_kg(outcome.kg)
    if outcome.result == "refunded":
        message = _(
            "Refunded %(amount)s for %(t)s t; the serials are back in the registry.",
            amount=money(outcome.amount),
            t=t,
        )
        return message, "success"
    if outcome.result == "requested":
        message = _(
            "Refund of %(amount)s for %(t)s t requested: our staff will transfer it back "
            "to your account and then return the credits.",
            amount=money(outcome.amount),
            t=t,
        )
        return message, "success"
    return _("There is no surplus left to refund."), "info"


@bp.get("/events/<code>/refund-surplus")
@login_required
def refund_surplus_confirm(code: str):
    item = _owned_event(code)
    found = surplus.offer(db.session, item)
    if found is None:
        flash(_("There is no surplus left to refund."), "info")
        return redirect(url_for(".manage", code=item.code))
    form = SurplusRefundForm(data={"expected_kg": found.kg})
    return render_template("events/refund_surplus.html", event=item, offer=found, form=form)


@bp.post("/events/<code>/refund-surplus")
@login_required
def refund_surplus(code: str):
    item = _owned_event(code)
    form = SurplusRefundForm()
    if not form.validate_on_submit():
        flash(_("The refund to confirm is missing."), "error")
        return redirect(url_for(".manage", code=item.code))
    key, _keyring = keys.signing(current_app.config)
    try:
        outcome = surplus.refund(
            db.session,
            item,
            actor=current_user,
            provider_for=lambda method: gateway.provider_for(current_app.config, method),
            key=key,
            expected_kg=form.expected_kg.data,
        )
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for(".manage", code=item.code))
    after_commit(outcome)
    flash(*outcome_message(outcome))
    return redirect(url_for(".manage", code=item.code))
