"""Which plot a plot certificate belongs to.

A certificate token carries only the plot *code* (``A-01``), and codes are unique per
site, not across sites. A plot certificate belongs to the plot of its site whose code it
carries **and** whose sponsorship it records:

* ``Certificate.plot_id`` names the plot wherever the plot checkout issued it;
* otherwise (certificates without it) the certificate's order reference is the plot's
  reservation holder (``Plot.holder_ref``, kept after sponsorship), or, for a certificate
  issued without an order, its owner is the plot's sponsor.

This is the one place that links the two; the pack and the visit log both use it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Certificate, MemorialSite, Order, Plot
from webapp.models.plots import SPONSORED_STATUSES
from webapp.services.certificates.token import CertificateKind


def _belongs(certificate: Certificate, order_ref: str | None, plot: Plot) -> bool:
    if certificate.plot_code != plot.code or plot.status not in SPONSORED_STATUSES:
        return False
    if certificate.plot_id is not None:
        return certificate.plot_id == plot.id
    if certificate.order_id is not None:
        return order_ref is not None and order_ref == plot.holder_ref
    return certificate.owner_id is not None and certificate.owner_id == plot.sponsor_user_id


def site_certificates(
    session: Session, site: MemorialSite, plots: Sequence[Plot]
) -> list[tuple[Certificate, Plot]]:
    """The plot certificates (valid or revoked) of ``site``'s sponsored plots."""
    by_code = {plot.code: plot for plot in plots if plot.site_id == site.id}
    if not by_code:
        return []
    rows = session.execute(
        select(Certificate, Order.ref)
        .outerjoin(Order, Order.id == Certificate.order_id)
        .where(
            Certificate.kind == CertificateKind.PLOT,
            Certificate.plot_code.in_(sorted(by_code)),
        )
        .order_by(Certificate.id)
    ).all()
    found = []
    for certificate, order_ref in rows:
        plot = by_code[certificate.plot_code]
        if _belongs(certificate, order_ref, plot):
            found.append((certificate, plot))
    return found


def plot_of_certificate(session: Session, certificate: Certificate) -> Plot | None:
    """The plot ``certificate`` belongs to, whatever its site (the PDF of a plot
    certificate issued without ``plot_id`` needs it too)."""
    if certificate.kind is not CertificateKind.PLOT or certificate.plot_code is None:
        return None
    if certificate.plot_id is not None:
        return session.get(Plot, certificate.plot_id)
    order_ref = (
        session.scalar(select(Order.ref).where(Order.id == certificate.order_id))
        if certificate.order_id is not None
        else None
    )
    candidates = session.scalars(select(Plot).where(Plot.code == certificate.plot_code))
    matches = [plot for plot in candidates if _belongs(certificate, order_ref, plot)]
    return matches[0] if len(matches) == 1 else None


def plot_of(session: Session, certificate: Certificate, site: MemorialSite) -> Plot | None:
    """The plot of ``site`` that ``certificate`` belongs to, if any."""
    if certificate.kind is not CertificateKind.PLOT or certificate.plot_code is None:
        return None
    plot = session.scalar(
        select(Plot).where(Plot.site_id == site.id, Plot.code == certificate.plot_code)
    )
    if plot is None:
        return None
    order_ref = (
        session.scalar(select(Order.ref).where(Order.id == certificate.order_id))
        if certificate.order_id is not None
        else None
    )
    return plot if _belongs(certificate, order_ref, plot) else None
