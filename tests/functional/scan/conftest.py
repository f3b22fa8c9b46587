from __future__ import annotations

import pytest

from webapp.extensions import db
from webapp.services.plots import rangers


@pytest.fixture(autouse=True)
def _photo_dir(photo_dir):
    """Every scan test keeps rangers' photos in its own folder."""
    return photo_dir


@pytest.fixture
def ranger(make_user, site, auth):
    user = make_user("ranger", email="ranger@example.cn", name="护林员老王")
    admin = make_user("admin", email="boss@example.cn")
    rangers.assign(db.session, user, site, actor=admin)
    db.session.commit()
    return user
