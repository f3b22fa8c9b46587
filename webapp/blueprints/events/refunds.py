"""The owner takes back the surplus of a true-up below what was offset (多退).

GET shows what would happen (kilograms, money, the serials that return); POST does it,
once: the service recomputes everything under the orders' locks, the boundary commits,
and the notice and the new certificate's PDF follow the commit (``PartialRefundMade``).
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp.blueprints.events import bp
from webapp.blueprints.events.forms import SurplusRefundForm
from webapp.blueprints.events.views import _member_event
from webapp.errors import DomainError, NotFound
from webapp.extensions import db
from webapp.models import MemberRole
from webapp.services import keys
from webapp.services.events import organisations, surplus
from webapp.services.payments import gateway
from webapp.unit_of_work import committing
from webapp.web.refunds import refund_outcome_message


def _owned_event(code: str):
    """The event if the signed-in user owns its organisation (404 otherwise)."""
    item = _member_event(code)
    member = organisations.membership(db.session, item.organisation, current_user)
    if member is None or member.role is not MemberRole.OWNER:
        raise NotFound(_("We could not find that event."))
    return item


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
        with committing(db.session):  # the notice and the new PDF follow the commit
            outcome = surplus.refund(
                db.session,
                item,
                actor=current_user,
                provider_for=lambda method: gateway.provider_for(current_app.config, method),
                key=key,
                expected_kg=form.expected_kg.data,
            )
    except DomainError as exc:
        flash(str(exc.message), "error")
        return redirect(url_for(".manage", code=item.code))
    flash(*refund_outcome_message(outcome))
    return redirect(url_for(".manage", code=item.code))
