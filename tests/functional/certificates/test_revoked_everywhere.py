"""Issue 22: no server answers VALID after the transaction that revoked a certificate has
committed. Paths here: an administrator's revocation, and the personal shares of a revoked
parent. Each server has built its copies of the valid certificate just before."""

from __future__ import annotations

from tests.support.app import PASSWORD, AuthActions
from tests.support.certificates import revoke as _revoke
from tests.support.revocation import two_servers
from webapp.extensions import db
from webapp.models import Privacy
from webapp.services import keys
from webapp.services.certificates import issuing
from webapp.services.certificates.token import CertificateKind


def _admin_client(app, make_user):
    make_user("admin", email="registrar@example.cn")
    client = app.test_client()
    AuthActions(client).login(email="registrar@example.cn", password=PASSWORD)
    return client


def test_admin_revocation_is_seen_at_once_by_every_server(
    app, make_app, make_user, issue_certificate
):
    servers = two_servers(app, make_app)
    certificate = issue_certificate()
    public_id = certificate.public_id
    admin = _admin_client(app, make_user)
    servers.assert_all([public_id], "valid")
    assert _revoke(admin, public_id, "issued in error").status_code == 302
    servers.assert_all([public_id], "revoked")


def test_shares_of_a_revoked_parent_are_seen_revoked_at_once(
    app, make_app, make_user, issue_certificate
):
    servers = two_servers(app, make_app)
    parent = issue_certificate(kg=3000, name="泰山论坛组委会")
    key, _keyring = keys.signing(app.config)
    shares = [
        issuing.issue(
            db.session,
            key=key,
            kind=CertificateKind.OFFSET,
            holder_name=name,
            privacy=Privacy.INITIALS,
            locale="zh_CN",
            owner=None,
            quantity_kg=1000,
            allocation_id=parent.allocation_id,
            parent=parent,
        )
        for name in ("甲", "乙")
    ]
    db.session.commit()
    ids = [parent.public_id, *(s.public_id for s in shares)]
    admin = _admin_client(app, make_user)
    servers.assert_all(ids, "valid")
    assert _revoke(admin, parent.public_id, "refunded").status_code == 302
    servers.assert_all(ids, "revoked")
