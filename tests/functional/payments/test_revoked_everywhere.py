"""Issue 22: a refund (by an administrator, or Stripe's ``charge.refunded``) revokes the
certificate, and no server answers VALID for it once the refund has committed, though each
had built its copies of the valid certificate just before."""

from __future__ import annotations

from sqlalchemy import select

from tests.support.app import csrf_token
from tests.support.fixtures import localstripe, stripe_fake  # noqa: F401
from tests.support.payments import STRIPE_WEBHOOK_SECRET as SECRET
from tests.support.payments import as_admin as _as_admin
from tests.support.payments import fresh, start_order
from tests.support.payments import pay_with_demo as _pay
from tests.support.revocation import two_servers
from tests.support.stripe_fake import deliver
from webapp.extensions import db
from webapp.models import Certificate, OrderStatus


def _only_certificate() -> str:
    db.session.expire_all()
    return db.session.scalars(select(Certificate)).one().public_id


def test_admin_refund_is_seen_at_once_by_every_server(
    app, make_app, client, credits, buyer, auth, make_user
):
    servers = two_servers(app, make_app)
    order = _pay(client, start_order(client))
    public_id = _only_certificate()
    _as_admin(auth, make_user)
    page = f"/admin/orders/{order.ref}"
    token = csrf_token(client, page)
    servers.assert_all([public_id], "valid")
    response = client.post(
        f"{page}/refund", data={"confirmed": "1", "csrf_token": token, "reason": "buyer asked"}
    )
    assert response.status_code == 302
    assert fresh(order).status is OrderStatus.REFUNDED
    servers.assert_all([public_id], "revoked")


def test_stripe_charge_refunded_is_seen_at_once_by_every_server(
    app,
    make_app,
    client,
    credits,
    buyer,
    stripe_fake,  # noqa: F811
):
    app.config.update(
        PAYMENT_PROVIDER="stripe",
        STRIPE_SECRET_KEY="sk_test_123",
        STRIPE_WEBHOOK_SECRET=SECRET,
        STRIPE_API_BASE=stripe_fake.url,
    )
    servers = two_servers(app, make_app)
    order = start_order(client, method="stripe")
    deliver(client, stripe_fake.complete(order.provider_session_id), SECRET)
    order = fresh(order)
    public_id = _only_certificate()
    servers.assert_all([public_id], "valid")
    stripe_fake.client().v1.refunds.create({"payment_intent": order.provider_payment_id})
    status, _body = deliver(client, stripe_fake.refund_event(order.provider_payment_id), SECRET)
    assert status == 200
    assert fresh(order).status is OrderStatus.REFUNDED
    servers.assert_all([public_id], "revoked")
