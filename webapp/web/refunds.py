"""How the outcome of an event's surplus refund (多退) is told, to the owner on the event
page and to staff on the order page."""

from __future__ import annotations

from flask_babel import gettext as _

from webapp.i18n import money, tonnes_from_kg
from webapp.services.events import surplus


def refund_outcome_message(outcome: surplus.SurplusRefundOutcome) -> tuple[str, str]:
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
