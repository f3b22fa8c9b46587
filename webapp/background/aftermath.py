"""Side effects of a payment, run after its transaction committed: receipt and PDF.

Failures here are logged and never undo the payment: the receipt can be re-sent and the
certificate PDF is rendered again on first download if it is missing.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from webapp.models import Certificate, Loss, Order, OrderKind
from webapp.services import mail
from webapp.services.certificates import documents
from webapp.services.payments import fulfilment
from webapp.services.payments.receipts import receipt_mail, refund_mail
from webapp.services.planting import duty
from webapp.services.registry import loss_notice
from webapp.unit_of_work import committing

log = logging.getLogger(__name__)


def after_payment(session: Session, config: dict[str, Any], order_ids: list[int]) -> None:
    for order_id in order_ids:
        order = session.get(Order, order_id)
        if order is None:
            continue
        certificates = fulfilment.certificates_of(session, order)
        try:
            rule = (
                duty.rule_for(config, order.site.code)
                if order.kind is OrderKind.DONATION and order.site is not None
                else None
            )
            receipt = receipt_mail(
                order,
                certificates,
                config["BASE_URL"],
                config.get("MERCHANT_NAME") or "",
                duty_rule=rule,
            )
            mail.send(config, receipt)
        except Exception:
            log.exception("receipt for order %s not sent", order.ref)
        for certificate in certificates:
            _render(session, config, certificate)


def after_partial_refund(
    session: Session,
    config: dict[str, Any],
    order_id: int,
    amount: str,
    kg: int,
    certificate_id: int | None,
) -> None:
    """Tell the payer what came back and render the re-issued certificate."""
    order = session.get(Order, order_id)
    if order is None:
        return
    certificate = session.get(Certificate, certificate_id) if certificate_id else None
    try:
        mail.send(config, refund_mail(order, Decimal(amount), kg, certificate, config["BASE_URL"]))
    except Exception:
        log.exception("refund notice for order %s not sent", order.ref)
    if certificate is not None:
        _render(session, config, certificate)


def _render(session: Session, config: dict[str, Any], certificate: Any) -> None:
    try:
        with committing(session):
            documents.ensure_pdf(session, certificate, config)
    except Exception:
        log.exception("certificate %s not rendered yet", certificate.public_id)


def after_loss(session: Session, config: dict[str, Any], loss_id: int) -> int:
    """E-mail every holder of a valid certificate on the project of a confirmed loss;
    returns how many were sent (a failed one is logged and skipped)."""
    loss = session.get(Loss, loss_id)
    if loss is None or not loss.counted:
        return 0
    sent = 0
    for holder in loss_notice.holders(session, loss):
        try:
            mail.send(config, loss_notice.loss_mail(loss, holder, config["BASE_URL"]))
            sent += 1
        except Exception:
            log.exception("loss notice for certificate %s not sent", holder.public_id)
    return sent
