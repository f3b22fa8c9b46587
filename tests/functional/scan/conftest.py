from __future__ import annotations

import pytest

from tests.functional.plots.conftest import (  # noqa: F401 - fixtures shared with plots
    _photo_dir,
    make_plot,
    make_site,
    site,
    species,
    sponsor_plot,
)
from webapp.extensions import db
from webapp.models import Certificate, Privacy
from webapp.services import keys
from webapp.services.certificates import issuing
from webapp.services.certificates.token import CertificateKind, qr_text
from webapp.services.plots import rangers


@pytest.fixture
def issue_plot_certificate(app):
    """A plot certificate as order fulfilment will issue it (owner = the plot's sponsor)."""

    def issue(plot, holder_name: str, privacy: Privacy = Privacy.FULL) -> Certificate:
        key, _keyring = keys.signing(app.config)
        certificate = issuing.issue(
            db.session,
            key=key,
            kind=CertificateKind.PLOT,
            holder_name=holder_name,
            privacy=privacy,
            locale="zh_CN",
            owner=plot.sponsor,
            plot_code=plot.code,
        )
        db.session.commit()
        return certificate

    return issue


def scan_text(app, certificate: Certificate) -> str:
    return qr_text(app.config["BASE_URL"], certificate.public_id, certificate.token)


@pytest.fixture
def ranger(make_user, site, auth):  # noqa: F811 - the imported fixture
    user = make_user("ranger", email="ranger@example.cn", name="护林员老王")
    admin = make_user("admin", email="boss@example.cn")
    rangers.assign(db.session, user, site, actor=admin)
    db.session.commit()
    return user
