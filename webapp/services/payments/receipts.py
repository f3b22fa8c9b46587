"""The receipt e-mail sent once an order is paid (after the commit)."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import force_locale
from flask_babel import gettext as _

from webapp.i18n import money, tonnes_from_kg
from webapp.models import Certificate, Order, OrderKind
from webapp.services.mail import Mail
from webapp.services.registry.serials import format_range


def _what_was_bought(order: Order) -> list[str]:
    if order.kind is OrderKind.PLOT:
        codes = ", ".join(item.plot.code for item in order.plot_items)
        return [
            _("Thank you. Your payment was received and your plots are sponsored."),
            "",
            _("Order: %(ref)s", ref=order.ref),
            _("Amount paid: %(amount)s", amount=money(order.amount)),
            _("Site: %(name)s", name=order.site.text("name", order.locale)),
            _("Plots: %(codes)s", codes=codes),
            _(
                "A plot sponsorship is a contribution to tree planting and forest care, "
                "not an offset of emissions."
            ),
        ]
    serials = ", ".join(
        format_range(order.project.code, r.issuance.vintage, r.first, r.last)
        for r in (order.allocation.ranges if order.allocation else [])
    )
    return [
        _("Thank you. Your payment was received and your credits are retired."),
        "",
        _("Order: %(ref)s", ref=order.ref),
        _("Amount paid: %(amount)s", amount=money(order.amount)),
        _("Quantity: %(t)s t CO2e", t=tonnes_from_kg(order.quantity_kg)),
        _("Project: %(name)s", name=order.project.text("name", order.locale)),
        _("Serial numbers: %(serials)s", serials=serials),
    ]


def receipt_mail(order: Order, certificates: Sequence[Certificate], base_url: str) -> Mail:
    with force_locale(order.locale):
        lines = _what_was_bought(order)
        if order.invoice_title:
            lines.append(_("Invoice title: %(title)s", title=order.invoice_title))
        if order.invoice_tax_id:
            lines.append(_("Tax number: %(tax)s", tax=order.invoice_tax_id))
        if certificates:
            lines.append("")
            lines += [
                _("Certificate: %(url)s", url=f"{base_url}/v/{certificate.public_id}")
                for certificate in certificates
            ]
            lines.append(
                _("Download it from your account: %(url)s", url=f"{base_url}/orders/{order.ref}")
            )
        lines += [
            "",
            _("This e-mail is a payment receipt, not a tax invoice (发票)."),
            "— Tanhui 碳汇",
        ]
        subject = _("Tanhui receipt %(ref)s", ref=order.ref)
    return Mail(to=order.user.email, subject=subject, text="\n".join(lines))
