"""Owners (and administrators) download PDFs; nobody else learns a certificate exists."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.support.app import PASSWORD
from tests.support.pdftools import pdftotext
from webapp.extensions import db
from webapp.models import Certificate
from webapp.services.certificates import documents, issuing
from webapp.services.certificates.context import DESIGN_VERSION


@pytest.fixture
def count_renders(monkeypatch):
    calls = []
    real = documents.render_pdf

    def counting(ctx, details):
        calls.append((ctx.public_id, ctx.revoked))
        return real(ctx, details)

    monkeypatch.setattr(documents, "render_pdf", counting)
    return calls


def _login(auth, make_user, role="resident", email="owner@example.cn"):
    user = make_user(role, email=email)
    auth.login(email=email, password=PASSWORD)
    return user


def test_owner_downloads_and_second_download_does_not_render(
    client, app, auth, make_user, issue_certificate, count_renders
):
    owner = _login(auth, make_user)
    certificate = issue_certificate(owner=owner)
    public_id = certificate.public_id
    first = client.get(f"/certificates/{public_id}.pdf")
    assert first.status_code == 200
    assert first.mimetype == "application/pdf" and first.data.startswith(b"%PDF-")
    disposition = first.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and f"tanhui-{public_id}.pdf" in disposition
    assert count_renders == [(public_id, False)]
    # The issued PDF's fingerprint is on the row.
    db.session.expire_all()
    row = db.session.scalar(select(Certificate).where(Certificate.public_id == public_id))
    assert row.pdf_sha256 == hashlib.sha256(first.data).hexdigest()
    assert (row.pdf_size, row.pdf_design_version) == (len(first.data), DESIGN_VERSION)
    second = client.get(f"/certificates/{public_id.lower()}.pdf")
    assert second.status_code == 200 and second.data == first.data
    assert len(count_renders) == 1, "a download of an issued certificate must not re-render"


def test_other_users_get_404_and_admins_may_download(
    client, auth, make_user, issue_certificate, count_renders
):
    owner = make_user(email="real-owner@example.cn")
    certificate = issue_certificate(owner=owner)
    anonymous = client.get(f"/certificates/{certificate.public_id}.pdf")
    assert anonymous.status_code == 302 and "/account/login" in anonymous.headers["Location"]
    _login(auth, make_user, email="someone-else@example.cn")
    assert client.get(f"/certificates/{certificate.public_id}.pdf").status_code == 404
    assert client.get("/certificates/ZZZZZZZZZZ.pdf").status_code == 404
    assert count_renders == []
    auth.logout()
    _login(auth, make_user, role="admin", email="admin@example.cn")
    response = client.get(f"/certificates/{certificate.public_id}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")


def test_revoked_download_is_a_revoked_copy_rendered_once(
    client, app, auth, make_user, issue_certificate, count_renders
):
    owner = _login(auth, make_user)
    certificate = issue_certificate(owner=owner)
    public_id = certificate.public_id
    issued = client.get(f"/certificates/{public_id}.pdf").data
    issuing.revoke(db.session, certificate, reason="refund", actor=None)
    db.session.commit()
    revoked = client.get(f"/certificates/{public_id}.pdf")
    assert revoked.status_code == 200 and revoked.data != issued
    assert client.get(f"/certificates/{public_id}.pdf").data == revoked.data
    assert count_renders == [(public_id, False), (public_id, True)]
    # The issued PDF is kept, and the row still describes it.
    store = documents.certificate_store(app.config)
    assert store.read(public_id, DESIGN_VERSION) == issued
    db.session.expire_all()
    row = db.session.scalar(select(Certificate).where(Certificate.public_id == public_id))
    assert row.pdf_sha256 == hashlib.sha256(issued).hexdigest()


def test_ensure_pdf_renders_again_only_for_a_new_design(app, issue_certificate, count_renders):
    certificate = issue_certificate()
    config = app.config
    stored = documents.ensure_pdf(db.session, certificate, config)
    db.session.commit()
    assert documents.ensure_pdf(db.session, certificate, config) == stored
    assert len(count_renders) == 1
    # A file of an older design does not count: it is replaced.
    old = Path(stored.path).with_name(f"{certificate.public_id}.v2025.9.pdf")
    Path(stored.path).rename(old)
    documents.ensure_pdf(db.session, certificate, config)
    assert len(count_renders) == 2 and not old.exists()


def test_my_certificates(english, auth, make_user, issue_certificate):
    owner = _login(auth, make_user)
    mine = issue_certificate(owner=owner, name="我的证书持有人")
    other = issue_certificate(owner=make_user(email="x@example.cn"), name="别人的证书")
    page = english.get("/account/certificates")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "我的证书持有人" in html and "别人的证书" not in html
    assert other.public_id not in html
    assert f"/certificates/{mine.public_id}.pdf" in html
    assert f"/v/{mine.public_id}" in html
    assert "2.417 t" in html and "Valid" in html
    # Residents cannot share certificates: no bulk link for them.
    assert f"/certificates/{mine.public_id}/shares" not in html
    assert "/account/certificates" in english.get("/account").get_data(as_text=True)


def test_front_server_sends_the_file_when_accel_prefix_is_set(
    client, app, auth, make_user, issue_certificate
):
    app.config["CERTIFICATE_ACCEL_PREFIX"] = "/_protected/certificates/"
    owner = _login(auth, make_user)
    certificate = issue_certificate(owner=owner)
    public_id = certificate.public_id
    answer = client.get(f"/certificates/{public_id}.pdf")
    assert answer.status_code == 200
    assert answer.data == b""  # nginx adds the body from its internal location
    target = answer.headers["X-Accel-Redirect"]
    assert target == f"/_protected/certificates/{public_id[:2]}/{public_id}.v{DESIGN_VERSION}.pdf"
    stored = Path(app.config["CERTIFICATE_DIR"]) / target.removeprefix("/_protected/certificates/")
    assert stored.read_bytes().startswith(b"%PDF-")
    assert answer.headers["ETag"] == f'"{hashlib.sha256(stored.read_bytes()).hexdigest()}"'
    assert f"tanhui-{public_id}.pdf" in answer.headers["Content-Disposition"]
    assert answer.mimetype == "application/pdf"


def test_a_plot_certificate_without_plot_id_finds_its_plot_by_its_sponsor(
    client, app, auth, make_user, make_plot, sponsor_plot, issue_plot_certificate
):
    """Certificates issued before plot_id existed (or by hand) name their plot by code and
    sponsor, as the scanner reads them; the PDF is drawn from that plot."""
    owner = _login(auth, make_user)
    plot = make_plot()
    sponsor_plot(plot, owner)
    db.session.commit()
    certificate = issue_plot_certificate(plot, "李梅")
    assert certificate.plot_id is None
    response = client.get(f"/certificates/{certificate.public_id}.pdf")
    assert response.status_code == 200
    assert plot.code in pdftotext(response.data)


def test_a_plot_certificate_whose_plot_cannot_be_found_is_a_clear_409(client, app, auth, make_user):
    from webapp.models import Privacy
    from webapp.services import keys
    from webapp.services.certificates.token import CertificateKind

    owner = _login(auth, make_user)
    certificate = issuing.issue(
        db.session,
        key=keys.signing(app.config)[0],
        kind=CertificateKind.PLOT,
        holder_name="李梅",
        privacy=Privacy.FULL,
        locale="zh_CN",
        owner=owner,
        plot_code="Z-99",  # no such plot anywhere
    )
    db.session.commit()
    response = client.get(f"/certificates/{certificate.public_id}.pdf")
    assert response.status_code == 409
    assert "登记簿中的记录不完整" in response.get_data(as_text=True)
