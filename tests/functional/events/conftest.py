"""Events fixtures: an organiser with an organisation, and an event (helpers are in
``tests/support/events.py``; credits on sale and staff come from the shared fixtures)."""

from __future__ import annotations

import pytest

from tests.support.events import make_event
from webapp.extensions import db
from webapp.models import OrganisationKind
from webapp.services.events import organisations


@pytest.fixture
def organiser(make_user, auth):
    user = make_user("organiser", email="org@example.cn", name="王主办")
    auth.login("org@example.cn")
    return user


@pytest.fixture
def org(organiser):
    item = organisations.create(
        db.session,
        owner=organiser,
        name="济南绿色会展有限公司",
        kind=OrganisationKind.COMPANY,
        invoice=organisations.InvoiceDetails(
            "济南绿色会展有限公司", "91370100MA3C000000", "济南市"
        ),
    )
    db.session.commit()
    return item


@pytest.fixture
def event(org, organiser):
    return make_event(org, organiser)
