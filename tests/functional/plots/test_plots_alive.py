"""Plots alive (issue 18): inspections with survival counts and replanted trees drive the
public figures, and the projection counts only trees alive."""

from __future__ import annotations

import pytest

from tests.support.app import csrf_token
from webapp.extensions import db
from webapp.services.plots import queries, rangers

PAGE = "/ranger/sites/CLS-JN/plots/{code}"


@pytest.fixture
def ranger(make_user, site):
    user = make_user("ranger", email="ranger@example.cn")
    rangers.assign(db.session, user, site, actor=make_user("admin", email="boss@example.cn"))
    db.session.commit()
    return user


def _post(client, kind, **fields):
    data = {"csrf_token": csrf_token(client, PAGE.format(code="A-01")), "kind": kind}
    data.update(fields)
    response = client.post(PAGE.format(code="A-01"), data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)


def test_inspections_drive_trees_alive_and_the_projection(
    client, auth, ranger, make_plot, make_user, sponsor_plot, english
):
    plot = sponsor_plot(make_plot("A-01"), make_user(email="sponsor@example.cn"))
    auth.login("ranger@example.cn")
    before = queries.projection(plot)
    _post(client, "planted")
    _post(client, "inspected", survival="80")
    _post(client, "failed", survival="0")
    _post(client, "replanted", survival="60", replanted="60")
    db.session.expire_all()
    alive = queries.alive(plot)
    assert (alive.planted, alive.alive, alive.replanted) == (100, 60, 60)
    after = queries.projection(plot)
    # 1.5 mu × 60 % of the trees alive: the projection shrinks with the trees.
    assert after.alive_share * 100 == 60 and after.area_alive_mu == before.area_mu * 6 / 10
    exact = before.rate_t_per_mu_year * before.area_mu * 6 / 10  # 0.5714 × 1.5 × 0.6
    assert after.t_per_year == exact.quantize(after.t_per_year) < before.t_per_year
    page = client.get("/sites/CLS-JN/plots/A-01").get_data(as_text=True)
    assert 'id="trees-planted">100<' in page and 'id="trees-replanted">60<' in page
    assert "60% of the trees alive at the last count" in page
    site = client.get("/sites/CLS-JN").get_data(as_text=True)
    figures = queries.site_figures([plot])
    assert (figures.trees_planted, figures.trees_alive, figures.trees_replanted) == (100, 60, 60)
    assert figures.projected_t_per_year == after.t_per_year
    assert 'id="site-figures"' in site and f"{after.t_per_year:.2f} t CO₂e per year" in site


def test_a_negative_replanted_count_is_refused(
    client, auth, ranger, make_plot, make_user, sponsor_plot, english
):
    sponsor_plot(make_plot("A-01"), make_user(email="sponsor@example.cn"))
    auth.login("ranger@example.cn")
    token = csrf_token(client, PAGE.format(code="A-01"))
    response = client.post(
        PAGE.format(code="A-01"),
        data={"csrf_token": token, "kind": "planted", "replanted": "-3"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "whole number of trees" in response.get_data(as_text=True)
