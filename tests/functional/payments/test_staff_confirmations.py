"""Staff refunds and revocations are confirmed on a page that shows the money, serials and
certificates affected before anything changes (issue 21, part 7)."""

from __future__ import annotations

import re

from tests.support.app import csrf_token
from tests.support.payments import as_admin, fresh, pay_with_demo, start_order
from webapp.extensions import db
from webapp.models import AllocationState, Certificate, CertificateStatus, OrderStatus
from webapp.services.registry.serials import format_range


def _serials(order) -> list[str]:
    a = order.allocation
    return [format_range(a.project.code, r.issuance.vintage, r.first, r.last) for r in a.ranges]


def test_a_refund_is_shown_before_it_is_done(client, credits, buyer, auth, make_user):
    order = pay_with_demo(client, start_order(client))
    certificate = db.session.query(Certificate).one()
    serials = _serials(order)
    as_admin(auth, make_user)
    page = f"/admin/orders/{order.ref}"
    response = client.post(
        f"{page}/refund", data={"csrf_token": csrf_token(client, page), "reason": "买错了"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    # The confirmation page: amount, serials, certificates, reason; nothing changed yet.
    assert "¥192.00" in html and "2.4" in html
    assert all(s in html for s in serials)
    assert certificate.public_id in html and "买错了" in html
    assert 'name="confirmed" value="1"' in html and 'name="reason" value="买错了"' in html
    order = fresh(order)
    assert order.status is OrderStatus.PAID
    assert order.allocation.state is AllocationState.RETIRED
    # The confirmation page's button does it.
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    done = client.post(
        f"{page}/refund", data={"csrf_token": token, "reason": "买错了", "confirmed": "1"}
    )
    assert done.status_code == 302
    assert fresh(order).status is OrderStatus.REFUNDED


def test_a_refund_without_a_reason_gets_no_confirmation_page(
    client, credits, buyer, auth, make_user
):
    order = pay_with_demo(client, start_order(client))
    as_admin(auth, make_user)
    page = f"/admin/orders/{order.ref}"
    response = client.post(f"{page}/refund", data={"csrf_token": csrf_token(client, page)})
    assert response.status_code == 303
    assert fresh(order).status is OrderStatus.PAID


def test_a_revocation_is_shown_before_it_is_done(client, credits, buyer, auth, make_user):
    order = pay_with_demo(client, start_order(client))
    certificate = db.session.query(Certificate).one()
    serials = _serials(order)
    as_admin(auth, make_user)
    response = client.post(
        f"/admin/certificates/{certificate.public_id}/revoke",
        data={"csrf_token": csrf_token(client, "/admin/certificates/"), "reason": "证书信息有误"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert certificate.public_id in html and all(s in html for s in serials)
    assert "不退还任何款项" in html and "证书信息有误" in html
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).status is CertificateStatus.VALID
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    client.post(
        f"/admin/certificates/{certificate.public_id}/revoke",
        data={"csrf_token": token, "reason": "证书信息有误", "confirmed": "1"},
    )
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).status is CertificateStatus.REVOKED
