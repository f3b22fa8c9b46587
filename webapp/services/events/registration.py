"""What zero-carbon events add to the generic machinery, registered at app creation:
the event certificate's details. (An event order is an offset order and is fulfilled
like one.)"""

from __future__ import annotations

from webapp.models import CertificateKind
from webapp.services.certificates import documents
from webapp.services.events import certificate


def register() -> None:
    documents.register_details_builder(CertificateKind.EVENT, certificate.event_details)
