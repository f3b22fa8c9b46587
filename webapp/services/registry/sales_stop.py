"""Whether a confirmed loss has stopped the sales of a project (services/registry/losses.py).

A loss the buffer could not cover in full stops every new reservation of the project's
credits until staff resolve it. Checked by ``allocation.reserve`` under the ledger head
lock (so a confirmation and a reservation never interleave) and by the offer pages.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.errors import Conflict
from webapp.models import Loss, LossStatus


def stopping_loss(session: Session, project_id: int) -> Loss | None:
    return session.scalar(
        select(Loss)
        .where(
            Loss.project_id == project_id,
            Loss.status == LossStatus.CONFIRMED,
            Loss.stops_sales.is_(True),
        )
        .order_by(Loss.id)
        .limit(1)
    )


def stopped_projects(session: Session) -> set[int]:
    return set(
        session.scalars(
            select(Loss.project_id).where(
                Loss.status == LossStatus.CONFIRMED, Loss.stops_sales.is_(True)
            )
        )
    )


def refuse_if_stopped(session: Session, project_id: int) -> None:
    loss = stopping_loss(session, project_id)
    if loss is not None:
        raise Conflict(
            _l(
                "Sales of this project are suspended after a loss of carbon (%(ref)s) that "
                "its buffer could not cover; please choose another project.",
                ref=loss.ref,
            )
        )
