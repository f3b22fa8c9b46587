from __future__ import annotations

import pytest

from tests.support.planting import make_day


@pytest.fixture
def planting_admin(make_user):
    return make_user("admin", email="staff@example.cn", name="管理员")


@pytest.fixture
def sponsored_plots(make_plot, sponsor_plot, make_user):
    sponsor = make_user(email="sponsor@example.cn", name="赵赞助")
    return [sponsor_plot(make_plot(f"B-0{i}"), sponsor) for i in (1, 2)]


@pytest.fixture
def planting_day(site, sponsored_plots, planting_admin):
    return make_day(site, sponsored_plots, planting_admin, capacity=4)


@pytest.fixture
def planting_ranger(make_user, site, planting_admin):
    from webapp.extensions import db
    from webapp.services.plots import rangers

    user = make_user("ranger", email="ranger@example.cn", name="护林员老王")
    rangers.assign(db.session, user, site, actor=planting_admin)
    db.session.commit()
    return user
