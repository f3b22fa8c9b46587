"""The e-mail that tells a holder their projected tonnes were delivered (交付)."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.i18n import tonnes_from_kg
from webapp.localtime import local_date
from webapp.models import Allocation, Certificate, Order
from webapp.services.mail import Mail
from webapp.services.registry.serials import format_range


def serials_of(allocation: Allocation) -> list[str]:
    return [
        format_range(allocation.project.code, r.issuance.vintage, r.first, r.last)
        for r in sorted(allocation.current_ranges, key=lambda r: r.first)
    ]


def delivery_mails(session: Session, delivered: Allocation, base_url: str) -> list[Mail]:
    """One mail per order that holds the settled retirement (normally one)."""
    projected = session.get(Allocation, delivered.settles_allocation_id)
    if projected is None:
        return []
    mails = []
    orders = session.scalars(select(Order).where(Order.allocation_id == projected.id)).all()
    certificates = session.scalars(
        select(Certificate)
        .where(Certificate.allocation_id == projected.id, Certificate.parent_id.is_(None))
        .order_by(Certificate.id)
    ).all()
    for order in orders:
        with force_locale(order.locale):
            lines = [
                _(
                    "The %(t)s t CO2e you retired as projected (ex-ante) tonnes of %(project)s "
                    "were delivered on %(date)s: verified tonnes now stand behind them.",
                    t=tonnes_from_kg(delivered.quantity_kg),
                    project=projected.project.code,
                    date=local_date(delivered.retired_at).isoformat(),
                ),
                "",
                _("Delivered serial numbers:"),
                *serials_of(delivered),
                "",
                _("Order: %(ref)s", ref=order.ref),
            ]
            lines += [
                _("Certificate: %(url)s", url=f"{base_url}/v/{c.public_id}")
                for c in certificates
                if c.order_id == order.id or c.order_id is None
            ]
            lines += [
                "",
                _("Your certificate stays valid and now shows its delivery."),
                "",
                "— Tanhui 碳汇",
            ]
            subject = _("Tanhui: your projected tonnes were delivered (%(ref)s)", ref=order.ref)
        mails.append(Mail(to=order.user.email, subject=subject, text="\n".join(lines)))
    return mails
