"""What services announce to the boundary for after their transaction commits.

A service registers one of these with :func:`webapp.unit_of_work.after_commit`; the
domains that care register handlers at app creation (``unit_of_work.on``). Plain,
comparable data: the same message twice in one unit of work is handled once.

Who handles what (see docs/ARCHITECTURE.md, "The boundary"):

* :class:`CertificateChanged` — the verify layer drops whatever it derived from the
  certificate (pages, status list). Registered by ``certificates.issuing.revoke``, the
  one function through which every revocation path goes.
* :class:`OrderPaid` — the background package sends the receipt and renders the PDFs.
  Registered by ``payments.fulfilment.fulfil`` when an order becomes paid.
* :class:`PartialRefundMade` — the background package sends the refund notice and
  renders the re-issued certificate. Registered by ``events.surplus.refund``.
* :class:`CertificateBatchCreated` — the background package starts the bulk-issue job.
* :class:`SmsCodeRequested` — the account blueprint texts a one-time sign-in code.
  Registered by ``phone_accounts.request_code``.
* :class:`PlantingProposalDecided` — the proposer of a planting day is e-mailed the
  decision. Registered by ``planting.proposals.approve`` and ``decline``.
* :class:`LossConfirmed` — holders of certificates resting on the project are e-mailed
  (``registry/loss_notice.py``). Registered by ``registry.losses.confirm``.
* :class:`DutyCertificateRevoked` — the holder of a duty certificate is e-mailed.
  Registered by ``planting.duty_revocation`` (staff or a refund of an order it counted).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CertificateChanged:
    public_id: str


@dataclass(frozen=True)
class OrderPaid:
    order_id: int


@dataclass(frozen=True)
class PartialRefundMade:
    order_id: int
    amount: str  # Decimal as text: messages may be queued as job arguments
    kg: int
    certificate_id: int | None


@dataclass(frozen=True)
class CertificateBatchCreated:
    batch_id: int


@dataclass(frozen=True)
class SmsCodeRequested:
    """A one-time code to text to ``phone``. Never queued or logged: the number and code are
    left out of the repr, and the account blueprint's handler sends it in-process."""

    phone: str = field(repr=False)
    code: str = field(repr=False)
    minutes: int = 5


# --- buffer pool and losses (issue 18) ---


@dataclass(frozen=True)
class LossConfirmed:
    loss_id: int


# --- planting days (issue 19) ---


@dataclass(frozen=True)
class PlantingDayCancelled:
    """Registered by ``planting.days.cancel``: everyone registered is told by e-mail."""

    day_id: int


@dataclass(frozen=True)
class DutyCertificateRevoked:
    """Registered by ``planting.duty_revocation._revoke`` (every revocation of a duty
    certificate); ``planting/registration.py`` e-mails the holder."""

    certificate_id: int


@dataclass(frozen=True)
class PlantingRegistered:
    """Registered by ``planting.registrations``: a registration was confirmed, waiting-listed
    or moved up from the waiting list; its holder is told by e-mail (with the pass)."""

    registration_id: int
    promoted: bool = False


@dataclass(frozen=True)
class PlantingProposalDecided:
    """Registered by ``planting.proposals.approve`` and ``decline``: the proposer is told by
    e-mail whether their day is scheduled or declined (and why)."""

    day_id: int


# --- delivery (issue 18) ------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryMade:
    """A projected retirement was settled by delivered serials: the holder is told.
    Registered by ``registry.delivery.settle``; handled by ``background.deliveries``."""

    allocation_id: int  # the delivery allocation
