"""The receipt e-mail sent once an order is paid (after the commit)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from webapp.i18n import money, tonnes_from_kg, yuan
from webapp.labels import label
from webapp.models import Certificate, Order, OrderKind, PaymentMethod
from webapp.services.mail import Mail
from webapp.services.planting import duty
from webapp.services.registry.serials import format_range


def _donation(order: Order, duty_rule: duty.ConversionRule) -> list[str]:
    trees = duty.trees_for(order.amount, duty_rule)
    site = order.site.text("name", order.locale)
    return [
        _("Thank you. Your donation for planting (捐资造林) was received."),
        "",
        _("Order: %(ref)s", ref=order.ref),
        _("Amount paid: %(amount)s", amount=yuan(order.amount)),
        _("Site: %(name)s", name=site),
        _(
            "A donation for the planting and tending of %(site)s (operator: %(operator)s). "
            "It is paid, as plot sponsorships are, to the payee named below.",
            site=site,
            operator=order.site.text("operator", order.locale),
        ),
        ngettext(
            "It counts toward your voluntary tree-planting duty as a donation (捐资捐物): "
            "%(amount)s counts as %(num)s tree at ¥%(yuan)s per tree (rule: %(source)s).",
            "It counts toward your voluntary tree-planting duty as a donation (捐资捐物): "
            "%(amount)s counts as %(num)s trees at ¥%(yuan)s per tree (rule: %(source)s).",
            trees,
            amount=yuan(order.amount),
            yuan=duty_rule.yuan_per_tree,
            source=duty_rule.source or "—",
        ),
        _(
            "It is not a carbon offset: it retires no tonnes of CO₂ and gives no offset "
            "certificate."
        ),
    ]


def _what_was_bought(order: Order, duty_rule: duty.ConversionRule | None = None) -> list[str]:
    if order.kind is OrderKind.DONATION and duty_rule is not None:
        return _donation(order, duty_rule)
    if order.kind is OrderKind.PLOT:
        codes = ", ".join(item.plot.code for item in order.plot_items)
        return [
            _("Thank you. Your payment was received and your plots are sponsored."),
            "",
            _("Order: %(ref)s", ref=order.ref),
            _("Amount paid: %(amount)s", amount=yuan(order.amount)),
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
        _("Amount paid: %(amount)s", amount=yuan(order.amount)),
        _("Quantity: %(t)s t CO2e", t=tonnes_from_kg(order.quantity_kg)),
        _("Project: %(name)s", name=order.project.text("name", order.locale)),
        _("Serial numbers: %(serials)s", serials=serials),
        *_refunded_part(order),
    ]


def _refunded_part(order: Order) -> list[str]:
    """A receipt sent after a partial refund states what went back and what remains."""
    if not order.refunded_kg:
        return []
    return [
        _(
            "Refunded: %(amount)s for %(t)s t returned to the registry",
            amount=money(order.refunded_amount),
            t=tonnes_from_kg(order.refunded_kg),
        ),
        _(
            "Remaining: %(t)s t CO2e, %(amount)s",
            t=tonnes_from_kg(order.retained_kg),
            amount=money(order.amount - order.refunded_amount),
        ),
    ]


def refund_mail(
    order: Order, amount: Decimal, kg: int, certificate: Certificate | None, base_url: str
) -> Mail:
    """Sent after a partial refund of the surplus committed (or staff completed it)."""
    with force_locale(order.locale):
        lines = [
            _(
                "We refunded %(amount)s for %(t)s t CO2e that the event no longer needs.",
                amount=money(amount),
                t=tonnes_from_kg(kg),
            ),
            "",
            _("Order: %(ref)s", ref=order.ref),
            *_refunded_part(order),
        ]
        if certificate is not None:
            lines += [
                "",
                _(
                    "The event certificate was re-issued for the remaining tonnes: %(url)s",
                    url=f"{base_url}/v/{certificate.public_id}",
                ),
                _("The previous certificate is revoked (superseded by this refund)."),
            ]
        lines += ["", "— Tanhui 碳汇"]
        subject = _("Tanhui refund %(ref)s", ref=order.ref)
    return Mail(to=order.user.email, subject=subject, text="\n".join(lines))


def payment_lines(order: Order, merchant_name: str) -> list[str]:
    """Who was paid, how, and the provider's transaction number (微信支付/支付宝交易单号)."""
    lines = []
    if merchant_name:
        lines.append(_("Payee: %(name)s", name=merchant_name))
    lines.append(_("Paid with: %(method)s", method=label(order.method)))
    if order.provider_payment_id and order.method in (
        PaymentMethod.WECHAT_PAY,
        PaymentMethod.ALIPAY,
        PaymentMethod.STRIPE,
    ):
        lines.append(_("Transaction number: %(number)s", number=order.provider_payment_id))
    return lines


def receipt_mail(
    order: Order,
    certificates: Sequence[Certificate],
    base_url: str,
    merchant_name: str = "",
    duty_rule: duty.ConversionRule | None = None,
) -> Mail:
    """``duty_rule``: the site's conversion rule, for a donation's receipt."""
    with force_locale(order.locale):
        lines = _what_was_bought(order, duty_rule)
        lines += payment_lines(order, merchant_name)
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
