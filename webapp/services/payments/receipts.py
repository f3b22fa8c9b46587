"""The receipt e-mail sent once an order is paid (after the commit)."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from webapp.i18n import money, tonnes_from_kg
from webapp.models import Certificate, Order
from webapp.services.mail import Mail
from webapp.services.registry.serials import format_range


def receipt_mail(order: Order, certificate: Certificate | None, base_url: str) -> Mail:
    with force_locale(order.locale):
        serials = ", ".join(
            format_range(order.project.code, r.issuance.vintage, r.first, r.last)
            for r in (order.allocation.ranges if order.allocation else [])
        )
        lines = [
            _("Thank you. Your payment was received and your credits are retired."),
            "",
            _("Order: %(ref)s", ref=order.ref),
            _("Amount paid: %(amount)s", amount=money(order.amount)),
            _("Quantity: %(t)s t CO2e", t=tonnes_from_kg(order.quantity_kg)),
            _("Project: %(name)s", name=order.project.text("name", order.locale)),
            _("Serial numbers: %(serials)s", serials=serials),
        ]
        if order.invoice_title:
            lines.append(_("Invoice title: %(title)s", title=order.invoice_title))
        if order.invoice_tax_id:
            lines.append(_("Tax number: %(tax)s", tax=order.invoice_tax_id))
        if certificate is not None:
            lines += [
                "",
                _("Certificate: %(url)s", url=f"{base_url}/v/{certificate.public_id}"),
                _("Download it from your account: %(url)s", url=f"{base_url}/orders/{order.ref}"),
            ]
        lines += [
            "",
            _("This e-mail is a payment receipt, not a tax invoice (发票)."),
            "— Tanhui 碳汇",
        ]
        subject = _("Tanhui receipt %(ref)s", ref=order.ref)
    return Mail(to=order.user.email, subject=subject, text="\n".join(lines))
