from __future__ import annotations

from decimal import Decimal

import pytest

from webapp.extensions import db
from webapp.models import MemorialSite
from webapp.services.plots import catalogue


def make_site(code: str = "CLS-JN") -> MemorialSite:
    site = MemorialSite(
        code=code,
        name_zh="徂徕山碳汇林纪念基地",
        name_en="Culai Mountain Memorial Forest",
        operator_zh="山东省徂徕山林场",
        operator_en="Culai Mountain State Forest Farm",
        province="CN-SD",
        county_zh="泰安市岱岳区",
        county_en="Daiyue District, Tai'an",
        planting_seasons_zh="春季、秋季",
        planting_seasons_en="Spring and autumn",
        visiting_zh="从泰安市区约 40 分钟。",
        visiting_en="About 40 minutes from Tai'an.",
        boundary=[[0, 0], [120, 0], [120, 80], [0, 80]],
    )
    db.session.add(site)
    db.session.flush()
    return site


@pytest.fixture(autouse=True)
def _photo_dir(app, tmp_path):
    app.config["PLOT_PHOTO_DIR"] = str(tmp_path / "plot-photos")


@pytest.fixture
def site(app) -> MemorialSite:
    s = make_site()
    db.session.commit()
    return s


@pytest.fixture
def species(site):
    sp = catalogue.add_species(
        db.session,
        site,
        code="arborvitae",
        name_zh="侧柏",
        name_en="Chinese arborvitae",
        factor_id="forest.project.suichuan.per_mu",
        planting_seasons_zh="春季",
        planting_seasons_en="Spring",
    )
    db.session.commit()
    return sp


@pytest.fixture
def make_plot(site, species):
    """Factory: a committed plot of 1.5 mu and 100 trees at (x, y)."""
    counter = {"n": 0}

    def make(code: str | None = None, x: float | None = None, y: float = 10.0):
        counter["n"] += 1
        n = counter["n"]
        x0 = x if x is not None else 10.0 + (n - 1) * 25 % 100
        plot = catalogue.add_plot(
            db.session,
            site,
            code=code or f"A-{n:02d}",
            species=species,
            price=Decimal("600.00"),
            polygon=[[x0, y], [x0 + 20, y], [x0 + 20, y + 20], [x0, y + 20]],
            area_mu=Decimal("1.50"),
            tree_count=100,
        )
        db.session.commit()
        return plot

    return make


@pytest.fixture
def sponsor_plot():
    """Sponsor a plot through the services, as order fulfilment will."""
    from datetime import timedelta

    from webapp.models import DedicationKind, Privacy
    from webapp.services.plots import reservations

    def sponsor(plot, user, name="李梅", privacy=Privacy.FULL, message="愿你长青"):
        ref = f"T-{plot.id}"
        reservations.reserve(db.session, [plot], ref, timedelta(minutes=30))
        reservations.sponsor(
            db.session,
            ref,
            user=user,
            sponsor_name=name,
            privacy=privacy,
            dedication=DedicationKind.WEDDING,
            message=message,
            locale="en",
        )
        db.session.commit()
        return plot

    return sponsor
