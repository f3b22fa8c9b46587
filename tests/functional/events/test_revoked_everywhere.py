"""Issue 22: an event's surplus refund revokes its certificate (re-issued for what remains),
and no server answers VALID for the revoked one once the refund has committed, though each
had built its copies of the valid certificate just before."""

from __future__ import annotations

from sqlalchemy import select

from tests.support.app import csrf_token
from tests.support.events import trued_up_below
from tests.support.revocation import two_servers
from webapp.extensions import db
from webapp.models import Certificate, CertificateStatus


def test_surplus_refund_is_seen_at_once_by_every_server(
    app, make_app, client, credits, organiser, org
):
    servers = two_servers(app, make_app)
    event, _order = trued_up_below(client, organiser, org)
    surplus_kg = event.estimate_kg - event.actual_kg
    db.session.expire_all()
    old = db.session.scalars(select(Certificate)).one().public_id
    token = csrf_token(client, f"/events/{event.code}/refund-surplus")
    servers.assert_all([old], "valid")
    response = client.post(
        f"/events/{event.code}/refund-surplus",
        data={"confirmed": "1", "csrf_token": token, "expected_kg": str(surplus_kg)},
    )
    assert response.status_code == 302
    servers.assert_all([old], "revoked")
    db.session.expire_all()
    new = db.session.scalars(
        select(Certificate).where(Certificate.status == CertificateStatus.VALID)
    ).one()
    servers.assert_all([new.public_id], "valid")
