"""Administrators search, filter and revoke certificates with a reason."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support.app import PASSWORD, csrf_token
from tests.support.certificates import revoke
from webapp.extensions import db
from webapp.models import AuditRecord, Certificate, CertificateStatus
from webapp.services.certificates import status_list


@pytest.fixture
def admin(make_user, auth):
    user = make_user("admin", email="registrar@example.cn")
    auth.login(email="registrar@example.cn", password=PASSWORD)
    return user


def _status(public_id: str) -> CertificateStatus:
    db.session.expire_all()
    return db.session.scalar(select(Certificate.status).where(Certificate.public_id == public_id))


def test_list_search_and_filters(english, admin, issue_certificate):
    first = issue_certificate(name="甲单位")
    second = issue_certificate(kg=50, name="乙单位")
    page = english.get("/admin/certificates/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert first.public_id[:5] in html and second.public_id[:5] in html
    found = english.get("/admin/certificates/", query_string={"q": first.public_id[:6].lower()})
    assert "甲单位" in found.get_data(as_text=True)
    nothing = english.get("/admin/certificates/", query_string={"q": "O0O0"})
    assert "No certificate matches." in nothing.get_data(as_text=True)
    revoked_only = english.get("/admin/certificates/", query_string={"status": "revoked"})
    assert "甲单位" not in revoked_only.get_data(as_text=True)
    offsets = english.get("/admin/certificates/", query_string={"kind": "offset"})
    assert "乙单位" in offsets.get_data(as_text=True)
    # The administration index links here.
    assert "/admin/certificates/" in english.get("/admin/").get_data(as_text=True)


def test_non_admins_are_kept_out(client, auth, make_user, issue_certificate):
    certificate = issue_certificate()
    anonymous = client.get("/admin/certificates/")
    assert anonymous.status_code == 302 and "/account/login" in anonymous.headers["Location"]
    make_user("organiser", email="org@example.cn")
    auth.login(email="org@example.cn", password=PASSWORD)
    assert client.get("/admin/certificates/").status_code == 403
    token = csrf_token(client, "/account")
    response = client.post(
        f"/admin/certificates/{certificate.public_id}/revoke",
        data={"confirmed": "1", "csrf_token": token, "reason": "no"},
    )
    assert response.status_code == 403
    assert _status(certificate.public_id) is CertificateStatus.VALID


@pytest.mark.parametrize("reason", [None, "", "   ", "x" * 201])
def test_bad_reason_is_refused_and_nothing_changes(english, admin, issue_certificate, reason):
    certificate = issue_certificate()
    response = revoke(english, certificate.public_id, reason)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Please give a reason for revoking." in html or "at most 200 characters" in html
    assert _status(certificate.public_id) is CertificateStatus.VALID


def test_bad_reason_message_is_in_chinese_by_default(client, admin, issue_certificate):
    certificate = issue_certificate()
    response = revoke(client, certificate.public_id, "")
    assert response.status_code == 400
    assert 'lang="zh-CN"' in response.get_data(as_text=True)
    assert _status(certificate.public_id) is CertificateStatus.VALID


def test_revoke_without_csrf_token_is_refused(english, admin, issue_certificate):
    certificate = issue_certificate()
    response = revoke(english, certificate.public_id, "duplicate", token=False)
    assert response.status_code == 400
    assert _status(certificate.public_id) is CertificateStatus.VALID


def test_revoke_shows_everywhere(english, app, admin, issue_certificate):
    certificate = issue_certificate()
    public_id, index = certificate.public_id, certificate.id
    response = revoke(english, public_id, "Issued for the wrong order")
    assert response.status_code == 302
    assert _status(public_id) is CertificateStatus.REVOKED
    row = db.session.scalar(select(Certificate).where(Certificate.public_id == public_id))
    assert row.revoked_by_id == admin.id and row.revocation_reason == "Issued for the wrong order"
    assert db.session.scalar(
        select(AuditRecord).where(AuditRecord.action == "certificate.revoked")
    ).details == {"public_id": public_id, "reason": "Issued for the wrong order"}
    page = english.get(f"/v/{public_id}").get_data(as_text=True)
    assert "REVOKED" in page and "Issued for the wrong order" in page
    doc = english.get("/api/v1/certificates/status-list").get_json()
    bits = status_list.decode(doc["credentialSubject"]["encodedList"])
    assert status_list.is_set(bits, index)
    assert english.get(f"/api/v1/certificates/{public_id}").get_json()["revocation"]["reason"] == (
        "Issued for the wrong order"
    )
    # Revoking again changes nothing (and a revoked certificate has no revoke form).
    listing = english.get("/admin/certificates/", query_string={"q": public_id})
    assert f"/admin/certificates/{public_id}/revoke" not in listing.get_data(as_text=True)
    assert revoke(english, "ZZZZZZZZZZ", "x").status_code == 404
