"""The visit log uploaded by the rangers' scanner.

Each visit arrives with an id generated on the device (a UUID), so uploading the same log
again, or after a lost answer, stores it once (``exists``). The server does not trust the
device's verdict: it re-verifies the scanned certificate token against its keyring and the
registry (``result``) — or, for a certificate number typed as printed under the QR code
(``9RD6Y-RXEDP``, any case, with or without the hyphen), looks the number up in the
registry — and works out the plot itself: from the plaque when one was scanned or typed
(``matched`` says whether the certificate belongs to it), otherwise from the certificate
(see ``links``). A second scan of the same certificate on the same local day
(typically by another ranger's device) is stored, flagged ``duplicate_of`` the first one,
and not counted on the public plot page.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp.errors import DomainError
from webapp.localtime import local_date
from webapp.models import (
    Certificate,
    CertificateStatus,
    MemorialSite,
    Plot,
    ScanResult,
    ScanVisit,
    User,
)
from webapp.models.base import utcnow
from webapp.services.certificates import verification
from webapp.services.certificates.ids import normalize_public_id
from webapp.services.certificates.token import TokenError, parse_qr_text
from webapp.services.plots import queries, rangers
from webapp.services.scan import links, uploads
from webapp.services.signing import Keyring

MAX_TEXT = 400  # longer than any QR text we print
MAX_AGE = timedelta(days=366)  # older scans are refused
MAX_BATCH = 200
_PLAQUE = re.compile(r"/P/([0-9A-Z-]{1,32})/([0-9A-Z-]{1,16})/?$")
# A plaque code typed as printed: "A-05", or with its site, "CLS-JN/A-05" or "CLS-JN A-05".
_PLAQUE_TYPED = re.compile(
    r"(?:([A-Z0-9][A-Z0-9-]{1,15})\s*/\s*|([A-Z0-9][A-Z0-9-]{1,15})\s+)?([0-9A-Z-]{1,16})"
)
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")  # what phones type for "-"


@dataclass(frozen=True)
class VisitInput:
    client_id: str
    site_code: str
    certificate_text: str
    plaque_text: str | None
    offline_result: ScanResult
    scanned_at: datetime


@dataclass(frozen=True)
class VisitOutcome:
    client_id: str
    status: str  # "created" | "exists" | "duplicate" | "rejected"
    result: str | None = None
    matched: bool | None = None
    plot: str | None = None
    other_device: bool = False
    message: str | None = None


def canonical_uuid(text: object) -> str | None:
    """The canonical lower-case form of a UUID, or ``None``."""
    if not isinstance(text, str) or len(text) != 36:
        return None
    try:
        value = uuid.UUID(text)
    except ValueError:
        return None
    return str(value) if str(value) == text.lower() else None


def parse_plaque(text: str, site_code: str | None = None) -> tuple[str, str] | None:
    """``(site code, plot code)`` of a plaque: its QR text ``{BASE}/P/<SITE>/<PLOT>``, or its
    code typed as printed — ``A-05`` (at ``site_code``, the site of the visit),
    ``CLS-JN/A-05`` or ``CLS-JN A-05`` — in any case. The scanner's ``parsePlaqueText``
    (static/scan/crypto.js) reads the same forms."""
    clean = _DASHES.sub("-", unicodedata.normalize("NFKC", text)).strip().upper()
    match = _PLAQUE.search(clean)
    if match:
        return match[1], match[2]
    typed = _PLAQUE_TYPED.fullmatch(clean)
    if typed is None:
        return None
    site = typed[1] or typed[2] or (site_code or "").strip().upper()
    return (site, typed[3]) if site else None


def local_day(ts: datetime) -> date:
    return local_date(ts)


@dataclass(frozen=True)
class _Verdict:
    result: ScanResult
    public_id: str | None
    certificate: Certificate | None


def _status_verdict(public_id: str, certificate: Certificate) -> _Verdict:
    if certificate.status is CertificateStatus.REVOKED:
        return _Verdict(ScanResult.REVOKED, public_id, certificate)
    return _Verdict(ScanResult.VALID, public_id, certificate)


def typed_number(text: str) -> str | None:
    """The public id of a certificate number as printed — under the QR code
    (``9RD6Y-RXEDP``, any case, with or without the hyphen) or in the verify URL
    (``…/v/9RD6YRXEDP``) — or ``None``. The scanner's ``parseCertificateNumber``
    (static/scan/crypto.js) reads the same forms."""
    upper = text.strip().upper()
    marker = upper.rfind("/V/")
    return normalize_public_id(upper[marker + 3 :].rstrip("/") if marker >= 0 else upper)


def _number_verdict(session: Session, text: str) -> _Verdict:
    """A certificate number typed from the paper: no signature to check, so the registry's
    record is the answer (a number of no certificate is invalid)."""
    public_id = typed_number(text)
    if public_id is None:
        return _Verdict(ScanResult.INVALID, None, None)
    certificate = verification.find(session, public_id)
    if certificate is None:
        return _Verdict(ScanResult.INVALID, public_id, None)
    return _status_verdict(public_id, certificate)


def _verdict(session: Session, keyring: Keyring, text: str) -> _Verdict:
    try:
        public_id, token = parse_qr_text(text)
    except TokenError:
        return _number_verdict(session, text)
    certificate = verification.find(session, public_id)
    check = verification.check_token(keyring, public_id, token, certificate)
    if not check.valid or check.matches_record is False:
        return _Verdict(ScanResult.INVALID, public_id, None)
    if certificate is None:
        return _Verdict(ScanResult.UNKNOWN, public_id, None)
    return _status_verdict(public_id, certificate)


def _existing(session: Session, client_id: str) -> ScanVisit | None:
    return session.scalar(select(ScanVisit).where(ScanVisit.client_id == client_id))


def _outcome(session: Session, visit: ScanVisit, status: str) -> VisitOutcome:
    other = False
    if visit.duplicate_of_id is not None:
        first = session.get(ScanVisit, visit.duplicate_of_id)
        other = first is not None and first.device_id != visit.device_id
    return VisitOutcome(
        client_id=visit.client_id,
        status=status,
        result=visit.result.value,
        matched=visit.matched,
        plot=visit.plot.code if visit.plot is not None else None,
        other_device=other,
    )


def _site_and_plot(session: Session, item: VisitInput) -> tuple[MemorialSite, Plot | None, bool]:
    """The visit's site, the plaque's plot (if a plaque was scanned), and whether it was."""
    site_code = item.site_code
    plaque = None
    if item.plaque_text:
        plaque = parse_plaque(item.plaque_text, site_code)
        if plaque is None:
            raise DomainError(_l("That is not a plot plaque code."))
        site_code = plaque[0]
    site = queries.site_by_code(session, site_code or "")
    if site is None:
        raise DomainError(_l("Unknown memorial site."))
    plot = None
    if plaque is not None:
        plot = queries.plot_by_code(session, site, plaque[1])
        if plot is None:
            raise DomainError(_l("That plot does not exist at this site."))
    return site, plot, plaque is not None


def _first_scan(session: Session, certificate: Certificate, day: date) -> ScanVisit | None:
    # Lock the certificate row so two devices uploading the same certificate at once
    # are serialised (SQLite serialises all writers anyway).
    session.execute(
        select(Certificate.id).where(Certificate.id == certificate.id).with_for_update()
    )
    return session.scalar(
        select(ScanVisit)
        .where(
            ScanVisit.certificate_id == certificate.id,
            ScanVisit.visit_day == day,
            ScanVisit.duplicate_of_id.is_(None),
        )
        .order_by(ScanVisit.id)
        .limit(1)
    )


def record(
    session: Session,
    *,
    ranger: User,
    device_id: str,
    item: VisitInput,
    keyring: Keyring,
    now: datetime | None = None,
) -> VisitOutcome:
    """Store one uploaded visit, idempotently on its client id; flushed, not committed."""
    now = now or utcnow()
    client_id = canonical_uuid(item.client_id)
    device = canonical_uuid(device_id)
    if client_id is None or device is None:
        raise DomainError(_l("A visit needs a valid id."))
    found = _existing(session, client_id)
    if found is not None:
        return _outcome(session, found, "exists")
    if not item.certificate_text or len(item.certificate_text) > MAX_TEXT:
        raise DomainError(_l("A visit needs the scanned certificate code."))
    if item.plaque_text is not None and len(item.plaque_text) > MAX_TEXT:
        raise DomainError(_l("That is not a plot plaque code."))
    if item.scanned_at.tzinfo is None or item.scanned_at < now - MAX_AGE:
        raise DomainError(_l("The scan time is not plausible."))
    scanned_at = min(item.scanned_at, now)  # a device clock ahead of ours
    site, plaque_plot, plaque_scanned = _site_and_plot(session, item)
    if not rangers.may_report(session, ranger, site):
        raise DomainError(_l("You are not assigned to this site."))

    verdict = _verdict(session, keyring, item.certificate_text)
    certificate = verdict.certificate
    cert_plot = links.plot_of(session, certificate, site) if certificate is not None else None
    if plaque_scanned:
        plot = plaque_plot
        matched = cert_plot is not None and plaque_plot is not None and cert_plot.id == plot.id
    else:
        plot, matched = cert_plot, None
    day = local_day(scanned_at)
    first = _first_scan(session, certificate, day) if certificate is not None else None
    visit = ScanVisit(
        client_id=client_id,
        device_id=device,
        ranger_id=ranger.id,
        site_id=site.id,
        plot_id=plot.id if plot is not None else None,
        certificate_id=certificate.id if certificate is not None else None,
        certificate_public_id=verdict.public_id,
        result=verdict.result,
        offline_result=item.offline_result,
        plaque_scanned=plaque_scanned,
        matched=matched,
        scanned_at=scanned_at,
        visit_day=day,
        duplicate_of_id=first.id if first is not None else None,
        received_at=now,
    )
    try:
        with session.begin_nested():
            session.add(visit)
            session.flush()
    except IntegrityError:
        # The same id arrived at the same moment from another upload.
        found = _existing(session, client_id)
        if found is None:
            raise
        return _outcome(session, found, "exists")
    return _outcome(session, visit, "duplicate" if first is not None else "created")


def record_many(
    session: Session,
    *,
    ranger: User,
    device_id: str,
    items: list[VisitInput],
    keyring: Keyring,
    now: datetime | None = None,
) -> list[VisitOutcome]:
    """Store each visit; one that breaks a rule is ``rejected`` with the reason, not the batch."""
    if len(items) > MAX_BATCH:
        raise DomainError(_l("Too many visits in one upload."))
    return uploads.record_each(
        session,
        items,
        lambda item: record(
            session, ranger=ranger, device_id=device_id, item=item, keyring=keyring, now=now
        ),
        lambda item, exc: VisitOutcome(
            client_id=str(item.client_id), status="rejected", message=str(exc.message)
        ),
    )


@dataclass(frozen=True)
class PublicVisit:
    day: date
    matched: bool  # the plaque was scanned too and matched


def public_visits(session: Session, plot: Plot, limit: int = 20) -> tuple[int, list[PublicVisit]]:
    """Verified visits to ``plot`` (duplicates and mismatches left out): count and latest."""
    counted = (
        ScanVisit.plot_id == plot.id,
        ScanVisit.result == ScanResult.VALID,
        ScanVisit.duplicate_of_id.is_(None),
        ScanVisit.matched.is_not(False),
    )
    total = session.scalar(select(func.count(ScanVisit.id)).where(*counted)) or 0
    rows = session.execute(
        select(ScanVisit.visit_day, ScanVisit.matched)
        .where(*counted)
        .order_by(ScanVisit.scanned_at.desc(), ScanVisit.id.desc())
        .limit(limit)
    ).all()
    return int(total), [PublicVisit(day=day, matched=bool(matched)) for day, matched in rows]
