"""Registry wording that matches the registry (issue 21 part 9): per-vintage delivery,
refunded certificates name their reversal, resold serials point to the earlier one."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from tests.support.registry import HOLD, make_project
from webapp.extensions import db
from webapp.models import Delivery, IssuanceStatus, LedgerEntry, Privacy, Purpose
from webapp.services import keys
from webapp.services.certificates import issuing
from webapp.services.certificates.token import CertificateKind
from webapp.services.registry import allocation as alloc
from webapp.services.registry import issuance as issuance_service
from webapp.services.registry.serials import format_range


def _projected_one_year(project, admins, quantity_kg=5_000):
    maker, checker = admins
    draft = issuance_service.IssuanceDraft(
        vintage=2027,
        period_start=date(2027, 1, 1),
        period_end=date(2027, 12, 31),
        quantity_kg=quantity_kg,
        price_per_tonne=Decimal("60"),
        delivery=Delivery.PROJECTED,
        expected_from=2027,
        expected_to=2027,
    )
    iss = issuance_service.draft(db.session, project, draft, actor=maker)
    issuance_service.approve(db.session, iss, actor=checker)
    issuance_service.set_status(db.session, iss, IssuanceStatus.ON_SALE, actor=checker)
    db.session.commit()
    return iss


def test_verified_and_projected_vintages_read_as_what_they_are(
    app, client, buyer, on_sale, admins, english
):
    project = make_project()
    db.session.commit()
    on_sale(project, quantity_kg=6_842_000, vintage=2024)
    _projected_one_year(project, admins)
    page = client.get("/offset").get_data(as_text=True)
    row = page[page.index("TA-CLS") : page.index("</tr>", page.index("TA-CLS"))]
    assert "Vintage 2024" in row and "Vintage 2027" in row
    v2024 = row[row.index("Vintage 2024") : row.index("Vintage 2027")]
    assert "Delivered (verified)" in v2024 and "Projected" not in v2024
    assert "Projected (ex-ante)" in row[row.index("Vintage 2027") :]
    assert "expected in 2027" in row and "2027–2027" not in row
    project_page = client.get("/projects/TA-CLS").get_data(as_text=True)
    assert "expected in 2027" in project_page and "2027–2027" not in project_page
    zh = client.get("/projects/TA-CLS", headers={"Cookie": "lang=zh"})
    assert "2027–2027" not in zh.get_data(as_text=True)


def _certificate(app, project, kg, ref, name):
    a = alloc.reserve(db.session, project, kg, ref, hold=HOLD)
    alloc.retire(
        db.session,
        a,
        alloc.Beneficiary(name=name, privacy=Privacy.FULL, purpose=Purpose.GIFT),
    )
    key, _ = keys.signing(app.config)
    cert = issuing.issue(
        db.session,
        key=key,
        kind=CertificateKind.OFFSET,
        holder_name=name,
        privacy=Privacy.FULL,
        locale="zh_CN",
        owner=None,
        quantity_kg=kg,
        allocation_id=a.id,
    )
    db.session.commit()
    return a, cert


def test_a_refund_and_a_resale_point_to_the_reversal(app, client, on_sale, english):
    project = make_project()
    db.session.commit()
    iss = on_sale(project, quantity_kg=10_000, vintage=2024)
    first, first_cert = _certificate(app, project, 300, "order-1", "居民甲")
    alloc.reverse(db.session, first, reason="refund", actor=None)
    issuing.revoke(db.session, first_cert, reason="refunded", actor=None)
    db.session.commit()
    reversal_seq = db.session.scalar(
        select(LedgerEntry.seq).where(
            LedgerEntry.kind == "reversal", LedgerEntry.allocation_id == first.id
        )
    )
    returned = format_range("TA-CLS", 2024, iss.serial_first, iss.serial_first + 299)

    page = client.get(f"/v/{first_cert.public_id}").get_data(as_text=True)
    assert f"ledger entry {reversal_seq} (reversal)" in page and returned in page
    data = client.get(f"/api/v1/certificates/{first_cert.public_id}").get_json()
    assert data["reversals"] == [{"entry": reversal_seq, "quantity_kg": 300, "serials": [returned]}]

    # The same serials are sold again: the new certificate points to the earlier refund.
    second, second_cert = _certificate(app, project, 300, "order-2", "居民乙")
    assert second.ranges[0].first == iss.serial_first
    page = client.get(f"/v/{second_cert.public_id}").get_data(as_text=True)
    assert f"returned by a refund in ledger entry {reversal_seq}" in page
    data = client.get(f"/api/v1/certificates/{second_cert.public_id}").get_json()
    assert [r["entry"] for r in data["earlier_reversals"]] == [reversal_seq]
    assert data["reversals"] == []
    # A certificate on fresh serials names no earlier refund.
    _third, third_cert = _certificate(app, project, 100, "order-3", "居民丙")
    data = client.get(f"/api/v1/certificates/{third_cert.public_id}").get_json()
    assert data["earlier_reversals"] == []
