"""From a certificate row to its PDF: the plain-data context, and the stored file.

:func:`build` turns a :class:`~webapp.models.Certificate` (and its allocation, project
and order) into the renderer's :class:`CertificateContext` and details. Each kind has a
details builder in :data:`DETAILS_BUILDERS` (offset here; plots and events register
theirs at app creation); a kind without one
makes :func:`build` raise :class:`UnsupportedKindError`.

:func:`ensure_pdf` returns the stored PDF, rendering it only if it is missing or was
drawn with an older design, so downloads of an issued certificate never re-render.

Revocation keeps the issued PDF untouched (its SHA-256 stays on the row as the
fingerprint of what was issued). A revoked certificate is downloaded as a second file,
``<ID>.v<design>-revoked.pdf``, rendered once with the ``revoked`` flag, which prints
the revocation across the page; it too is never re-rendered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from webapp.models import Certificate, CertificateStatus, Purpose
from webapp.observability import CERTIFICATES_RENDERED
from webapp.services import storage
from webapp.services.certificates.context import (
    DESIGN_VERSION,
    MAX_NAME,
    MAX_SHORT,
    MAX_TEXT,
    MAX_TEXT_ZH,
    CertificateContext,
    Details,
    IncompleteCertificateError,
    OffsetDetails,
    fit,
)
from webapp.services.certificates.coverage import Coverage, coverage
from webapp.services.certificates.render import render_pdf
from webapp.services.certificates.storage import CertificateStore, StoredFile
from webapp.services.certificates.token import CertificateKind, qr_text

REVOKED_SUFFIX = "-revoked"
_YEAR = re.compile(r"(19|20|21)\d\d")


class UnsupportedKindError(ValueError):
    """No details builder is registered for this certificate kind (yet)."""


def locale_of(certificate: Certificate) -> str:
    """``zh`` or ``en`` from the stored locale (``zh_CN``, ``en``…)."""
    return "en" if (certificate.locale or "").lower().startswith("en") else "zh"


def purpose_texts(
    purpose: Purpose | None, detail: str | None, case_number: str | None = None
) -> tuple[str, str]:
    """What the emissions offset were, in Chinese and English.

    The certificates print them as "用于抵消{zh}的碳排放" / "to offset the emissions of {en}".
    """
    detail = fit(detail, MAX_TEXT_ZH - 12) if detail and detail.strip() else None

    def extra(zh: str, en: str) -> tuple[str, str]:
        if detail is None:
            return zh, en
        return f"{zh}（{detail}）", f"{en} ({detail})"

    if purpose is Purpose.HOUSEHOLD_YEAR:
        if detail and _YEAR.fullmatch(detail):
            return f"{detail}年日常工作生活碳足迹", f"the {detail} daily work and life footprint"
        return extra("日常工作生活碳足迹", "daily work and life")
    if purpose is Purpose.EVENT:
        if detail:
            return detail, f"the event “{detail}”"
        return "会议或活动", "a meeting or event"
    if purpose is Purpose.GIFT:
        return extra("受赠人的日常生活", "the recipient's daily life")
    if purpose is Purpose.JUDICIAL_RESTORATION:
        case = fit(case_number, MAX_TEXT_ZH - 8) if case_number else None
        if case:
            return f"{case}案所涉生态环境损害", f"the ecological damage in case {case}"
        return "司法生态修复所涉生态环境损害", "court-ordered ecological restoration"
    if purpose is Purpose.OTHER and detail:
        return detail, detail
    return "持有人指定用途", "the holder's stated purpose"


# ---- details builders ---------------------------------------------------------------

DetailsBuilder = Callable[[Session, Certificate, Coverage], Details]


def offset_details(session: Session, certificate: Certificate, facts: Coverage) -> OffsetDetails:
    if not facts.runs or facts.project_code is None or not certificate.quantity_kg:
        raise IncompleteCertificateError(
            f"certificate {certificate.public_id} names no retired serials"
        )
    purpose_zh, purpose_en = purpose_texts(facts.purpose, facts.purpose_detail, facts.case_number)
    delivery = facts.delivery or "verified"
    expected = facts.expected_years if delivery == "projected" else None
    if delivery == "projected" and expected is None:
        expected = "—"
    return OffsetDetails(
        quantity_kg=certificate.quantity_kg,
        project_name_zh=fit(facts.project_name_zh or facts.project_code, MAX_TEXT_ZH),
        project_name_en=fit(facts.project_name_en or facts.project_code, MAX_TEXT),
        project_code=fit(facts.project_code, MAX_SHORT),
        serial_ranges=facts.serial_ranges,
        purpose_zh=fit(purpose_zh, MAX_TEXT_ZH),
        purpose_en=fit(purpose_en, MAX_TEXT),
        delivery=delivery,
        expected_years=expected,
    )


DETAILS_BUILDERS: dict[CertificateKind, DetailsBuilder] = {
    CertificateKind.OFFSET: offset_details,
}


def register_details_builder(kind: CertificateKind, builder: DetailsBuilder) -> None:
    """A domain adds the details of its kind of certificate (at app creation: plots and
    events register theirs in their ``registration`` module)."""
    DETAILS_BUILDERS[CertificateKind(kind)] = builder


def build(
    session: Session, certificate: Certificate, config: Mapping[str, Any]
) -> tuple[CertificateContext, Details]:
    """The renderer's plain-data context and details for ``certificate``."""
    kind = CertificateKind(certificate.kind)
    builder = DETAILS_BUILDERS.get(kind)
    if builder is None:
        raise UnsupportedKindError(
            f"{kind.value} certificates cannot be rendered yet: no details builder is "
            "registered for this kind"
        )
    details = builder(session, certificate, coverage(session, certificate))
    base_url = str(config["BASE_URL"]).rstrip("/")
    context = CertificateContext(
        kind=kind.value,
        public_id=certificate.public_id,
        locale=locale_of(certificate),
        # The holder's own PDF carries the full name, whatever the public privacy choice.
        holder_name=fit(certificate.holder_name, MAX_NAME) or "—",
        issued_on=certificate.issued_on,
        qr_text=qr_text(base_url, certificate.public_id, certificate.token),
        verify_url=f"{base_url}/v/{certificate.public_id}",
        revoked=certificate.status is CertificateStatus.REVOKED,
    )
    return context, details


# ---- stored PDFs --------------------------------------------------------------------


def certificate_store(config: Mapping[str, Any]) -> CertificateStore:
    return CertificateStore(storage.from_config(config, "certificates"))


def stored_version(certificate: Certificate) -> str:
    """The design version a certificate's PDF is stored under (revoked copies apart)."""
    if certificate.status is CertificateStatus.REVOKED:
        return f"{DESIGN_VERSION}{REVOKED_SUFFIX}"
    return DESIGN_VERSION


def is_current(certificate: Certificate, config: Mapping[str, Any]) -> bool:
    """True when the PDF to serve is stored already (so serving it renders nothing)."""
    return certificate_store(config).exists(certificate.public_id, stored_version(certificate))


def record(certificate: Certificate, stored: StoredFile) -> bool:
    """Note the issued PDF's hash, size and design on the row; True if anything changed."""
    values = {
        "pdf_sha256": stored.sha256,
        "pdf_size": stored.size,
        "pdf_design_version": DESIGN_VERSION,
    }
    changed = False
    for name, value in values.items():
        if getattr(certificate, name) != value:
            setattr(certificate, name, value)
            changed = True
    return changed


@dataclass(frozen=True)
class PdfPlan:
    """What serving a certificate's PDF takes, read from the database in one go.

    ``draw`` is None when the file is stored already. Writing the file
    (:func:`write_pdf`) needs no database, so callers can end their transaction before
    rendering and hold no lock for the ~0.3 s a render takes.
    """

    certificate_id: int
    public_id: str
    version: str
    revoked: bool
    recorded: tuple[str | None, int | None, str | None]  # pdf_sha256, pdf_size, design
    draw: tuple[CertificateContext, Details] | None

    def needs_record(self, stored: StoredFile) -> bool:
        return not self.revoked and self.recorded != (stored.sha256, stored.size, DESIGN_VERSION)


def plan_pdf(session: Session, certificate: Certificate, config: Mapping[str, Any]) -> PdfPlan:
    version = stored_version(certificate)
    stored = certificate_store(config).exists(certificate.public_id, version)
    return PdfPlan(
        certificate_id=certificate.id,
        public_id=certificate.public_id,
        version=version,
        revoked=certificate.status is CertificateStatus.REVOKED,
        recorded=(certificate.pdf_sha256, certificate.pdf_size, certificate.pdf_design_version),
        draw=None if stored else build(session, certificate, config),
    )


def write_pdf(plan: PdfPlan, config: Mapping[str, Any]) -> StoredFile:
    """The stored file of ``plan``, rendering it only if it is still missing."""
    store = certificate_store(config)

    def draw() -> bytes:
        if plan.draw is None:  # the file vanished since the plan was made
            raise FileNotFoundError(f"the PDF of {plan.public_id} is missing; plan again")
        pdf = render_pdf(*plan.draw)
        CERTIFICATES_RENDERED.inc()
        return pdf

    if plan.revoked:
        if store.exists(plan.public_id, plan.version):
            return store.describe(plan.public_id, plan.version)
        # write_atomic, not ensure(): ensure() would delete the issued PDF it replaces.
        return store.write_atomic(plan.public_id, plan.version, draw())
    return store.ensure(plan.public_id, plan.version, draw)


def ensure_pdf(session: Session, certificate: Certificate, config: Mapping[str, Any]) -> StoredFile:
    """The certificate's stored PDF, rendered only if missing or of an older design.

    For a valid certificate the file's hash, size and design are recorded on the row
    (the caller commits). A revoked certificate gets its revoked copy; the row keeps
    describing the PDF that was issued.
    """
    plan = plan_pdf(session, certificate, config)
    stored = write_pdf(plan, config)
    if not plan.revoked:
        record(certificate, stored)
    return stored


def download_name(certificate: Certificate) -> str:
    return f"tanhui-{certificate.public_id}.pdf"
