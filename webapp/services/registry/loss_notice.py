"""Telling holders about a confirmed loss: who, and the e-mail in their language.

Sent after the confirmation commits (``LossConfirmed`` → the background ``after_loss``
task), once per certificate that is valid and rests on the project (its retirement holds
serials of the project). A failed e-mail never undoes the confirmation.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.labels import label
from webapp.models import Allocation, Certificate, CertificateStatus, Loss, Order, User
from webapp.services.mail import Mail


@dataclass(frozen=True)
class Holder:
    email: str
    locale: str
    public_id: str


def holders(session: Session, loss: Loss) -> list[Holder]:
    """One recipient per valid certificate on the project: its owner, else the payer."""
    certs = session.scalars(
        select(Certificate)
        .join(Allocation, Allocation.id == Certificate.allocation_id)
        .where(
            Allocation.project_id == loss.project_id,
            Certificate.status == CertificateStatus.VALID,
        )
        .order_by(Certificate.id)
    ).all()
    result = []
    for cert in certs:
        user: User | None = cert.owner
        if user is None and cert.order_id is not None:
            order = session.get(Order, cert.order_id)
            user = order.user if order is not None else None
        if user is None or not user.email:
            continue
        result.append(Holder(user.email, user.locale or cert.locale or "zh_CN", cert.public_id))
    return result


def loss_mail(loss: Loss, holder: Holder, base_url: str) -> Mail:
    base = base_url.rstrip("/")
    with force_locale(holder.locale):
        project = loss.project.text("name", holder.locale)
        lines = [
            _(
                "A loss of carbon was confirmed in the project %(project)s, on which your "
                "certificate %(id)s rests.",
                project=project,
                id=holder.public_id,
            ),
            "",
            _("Cause: %(cause)s", cause=label(loss.cause)),
            _("Date: %(date)s", date=loss.occurred_on.isoformat()),
            _("Area: %(ha)s ha", ha=loss.area_ha),
            _("Estimated loss: %(t)s t CO₂e", t=f"{loss.estimated_kg / 1000:,.3f}"),
            _("Covered from the buffer pool: %(t)s t", t=f"{loss.buffer_kg / 1000:,.3f}"),
            _("Covered by cancelling unsold credits: %(t)s t", t=f"{loss.stock_kg / 1000:,.3f}"),
            _("Not covered: %(t)s t", t=f"{loss.uncovered_kg / 1000:,.3f}"),
            "",
            _(
                "Your retired tonnes stay retired: the loss is covered by credits that were "
                "never sold, as the registry's rules require."
            ),
            "",
            _("Your certificate's page: %(url)s", url=f"{base}/v/{holder.public_id}"),
            _("The loss register: %(url)s", url=f"{base}/registry/losses"),
            "",
            "— Tanhui 碳汇",
        ]
        subject = _("Tanhui: a loss of carbon in %(project)s", project=project)
    return Mail(to=holder.email, subject=subject, text="\n".join(lines))
