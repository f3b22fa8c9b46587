"""A certificate paid at 21:33 UTC is issued on the next day in Beijing (UTC+8): the PDF, the
verify page, the JSON and what the scanner reads from the QR token all say 5 December."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.support.pdftools import pdftotext
from tests.support.registry import HOLD
from webapp.extensions import db
from webapp.models import Privacy, Purpose
from webapp.services import keys
from webapp.services.certificates import documents, issuing
from webapp.services.certificates.token import CertificateKind, decode_token
from webapp.services.registry import allocation

PAID_AT = datetime(2026, 12, 4, 21, 33, tzinfo=UTC)  # 05:33 on 5 December in Beijing


def _paid_late_in_the_utc_day(app, project):
    held = allocation.reserve(db.session, project, 1000, "late-utc", hold=HOLD, now=PAID_AT)
    allocation.retire(
        db.session,
        held,
        allocation.Beneficiary(name="王小林", privacy=Privacy.FULL, purpose=Purpose.GIFT),
        now=PAID_AT,
    )
    certificate = issuing.issue(
        db.session,
        key=keys.signing(app.config)[0],
        kind=CertificateKind.OFFSET,
        holder_name="王小林",
        privacy=Privacy.FULL,
        locale="zh_CN",
        owner=None,
        quantity_kg=1000,
        allocation_id=held.id,
        now=PAID_AT,
    )
    db.session.commit()
    return certificate


def test_the_issue_date_is_the_local_day_of_the_payment(client, app, project, on_sale):
    on_sale(project, 100_000)
    certificate = _paid_late_in_the_utc_day(app, project)
    assert certificate.issued_on == date(2026, 12, 5)

    page = client.get(f"/v/{certificate.public_id}").get_data(as_text=True)
    assert "2026年12月5日" in page and "2026年12月4日" not in page

    record = client.get(f"/api/v1/certificates/{certificate.public_id}").get_json()
    assert record["issued_on"] == "2026-12-05"

    # The scanner shows the date the signed token carries.
    claims = decode_token(certificate.token, public_id=certificate.public_id)
    assert claims.issued_on == date(2026, 12, 5)

    stored = documents.ensure_pdf(db.session, certificate, app.config)
    db.session.commit()
    text = pdftotext(documents.certificate_store(app.config).read_stored(stored))
    assert "2026年12月5日" in text and "2026年12月4日" not in text
