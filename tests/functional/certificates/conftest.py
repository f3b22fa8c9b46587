"""Certificates issued the way fulfilment issues them: a real retirement, then `issue`."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.functional.registry import conftest as registry_fixtures
from tests.functional.registry.conftest import HOLD, make_project
from webapp.extensions import db
from webapp.models import Certificate, Delivery, Privacy, Purpose
from webapp.services import keys
from webapp.services.certificates import issuing
from webapp.services.certificates.token import CertificateKind
from webapp.services.registry import allocation

PASSWORD = "correct-horse-9"

# The registry's fixtures (two administrators, an on-sale issuance factory) serve here too.
admins = registry_fixtures.admins
on_sale = registry_fixtures.on_sale


@dataclass
class Made:
    certificate: Certificate

    @property
    def public_id(self) -> str:
        return self.certificate.public_id


@pytest.fixture
def issue_certificate(app, on_sale):
    """Factory: a committed, valid offset certificate on a retired allocation."""
    state: dict[str, object] = {"n": 0, "projects": {}}

    def project_for(code: str, delivery: Delivery):
        projects = state["projects"]
        if code not in projects:
            project = make_project(code)
            db.session.commit()
            on_sale(project, quantity_kg=1_000_000, delivery=delivery)
            projects[code] = project
        return projects[code]

    def make(
        *,
        owner=None,
        kg: int = 2417,
        name: str = "王小林",
        privacy: Privacy = Privacy.FULL,
        purpose: Purpose = Purpose.HOUSEHOLD_YEAR,
        detail: str = "2025",
        locale: str = "zh_CN",
        project_code: str = "TA-CLS",
        delivery: Delivery = Delivery.VERIFIED,
    ) -> Certificate:
        state["n"] += 1
        project = project_for(project_code, delivery)
        held = allocation.reserve(db.session, project, kg, f"cert-test-{state['n']}", hold=HOLD)
        allocation.retire(
            db.session,
            held,
            allocation.Beneficiary(
                name=name, privacy=privacy, purpose=purpose, purpose_detail=detail
            ),
        )
        key, _keyring = keys.signing(app.config)
        certificate = issuing.issue(
            db.session,
            key=key,
            kind=CertificateKind.OFFSET,
            holder_name=name,
            privacy=privacy,
            locale=locale,
            owner=owner,
            quantity_kg=kg,
            allocation_id=held.id,
        )
        db.session.commit()
        return certificate

    return make


@pytest.fixture
def english(client):
    client.set_cookie("lang", "en")
    return client
