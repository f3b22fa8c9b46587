"""After a verification committed: tell each holder of a settled projected retirement.

A failed e-mail is logged and never undoes the delivery (the ledger and the verify page
already show it)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from webapp.models import Allocation
from webapp.services import mail
from webapp.services.registry.delivery_mail import delivery_mails

log = logging.getLogger(__name__)


def after_delivery(session: Session, config: dict[str, Any], allocation_id: int) -> None:
    delivered = session.get(Allocation, allocation_id)
    if delivered is None or delivered.settles_allocation_id is None:
        return
    for message in delivery_mails(session, delivered, config["BASE_URL"]):
        try:
            mail.send(config, message)
        except Exception:
            log.exception("delivery notice for allocation %s not sent", allocation_id)
