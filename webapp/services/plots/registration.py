"""What memorial forests add to the generic machinery, registered at app creation:
the plot certificate's details and the fulfilment of plot orders (认建认养)."""

from __future__ import annotations

from webapp.models import CertificateKind, OrderKind
from webapp.services.certificates import documents
from webapp.services.payments import fulfilment
from webapp.services.plots import certificate, sponsorship


def register() -> None:
    documents.register_details_builder(CertificateKind.PLOT, certificate.plot_details)
    fulfilment.register_fulfiller(OrderKind.PLOT, sponsorship.fulfil)
