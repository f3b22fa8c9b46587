"""Staff manage memorial sites: register, species from the factor set, plot import, photos."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.support.app import csrf_token
from tests.support.plots import jpeg_with_gps
from webapp.extensions import db
from webapp.models import MemorialSite, Plot, SitePhoto, SiteSpecies

NEW_SITE = {
    "site-code": "DT-QS",
    "site-name_zh": "大汶口纪念林",
    "site-name_en": "Dawenkou Memorial Forest",
    "site-operator_zh": "泰安市某国有林场",
    "site-operator_en": "A Tai'an state forest farm",
    "site-province": "CN-SD",
    "site-county_zh": "泰安市岱岳区",
    "site-county_en": "Daiyue District, Tai'an",
    "site-planting_seasons_zh": "春季",
    "site-planting_seasons_en": "Spring",
    "site-boundary": "0 0; 100 0; 100 60; 0 60",
}


@pytest.fixture
def admin(make_user, auth):
    user = make_user("admin", email="bureau@example.cn")
    auth.login("bureau@example.cn")
    return user


def post(client, path, page, data, **kwargs):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **data}, **kwargs)


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def test_only_administrators_manage_sites(client, make_user, auth):
    make_user("ranger", email="r@example.cn")
    auth.login("r@example.cn")
    assert client.get("/admin/sites").status_code == 403
    assert client.post("/admin/sites", data=NEW_SITE).status_code in (400, 403)
    assert count(MemorialSite) == 0


def test_register_a_site_and_it_is_public(client, admin):
    response = post(client, "/admin/sites", "/admin/sites", NEW_SITE)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    site = db.session.scalar(select(MemorialSite))
    assert site.code == "DT-QS" and site.boundary == [[0, 0], [100, 0], [100, 60], [0, 60]]
    assert "大汶口纪念林" in client.get("/sites").get_data(as_text=True)
    # The same code again, a bad code and a bad boundary are refused with a reason.
    for changes, words in [
        ({}, ("exists already", "已存在")),
        ({"site-code": "a b"}, ("2 to 16", "2 到 16", "2–16")),
        ({"site-code": "DT-X", "site-boundary": "0 0; 1"}, ("pair", "坐标")),
    ]:
        response = post(client, "/admin/sites", "/admin/sites", {**NEW_SITE, **changes})
        html = response.get_data(as_text=True)
        assert response.status_code == 400
        assert any(w in html for w in words), html[:3000]
    assert count(MemorialSite) == 1


@pytest.fixture
def new_site(client, admin):
    post(client, "/admin/sites", "/admin/sites", NEW_SITE)
    return db.session.scalar(select(MemorialSite))


SPECIES = {
    "species-code": "arborvitae",
    "species-name_zh": "侧柏",
    "species-name_en": "Chinese arborvitae",
    "species-factor": "forest.project.suichuan.per_mu",
    "species-projection_years": "20",
}


def test_species_rates_come_from_the_factor_set(client, new_site):
    page = "/admin/sites/DT-QS"
    response = post(client, f"{page}/species", page, SPECIES)
    assert response.status_code == 302
    species = db.session.scalar(select(SiteSpecies))
    assert species.rate_t_per_mu_year == Decimal("0.5714")
    assert species.factor_id == "forest.project.suichuan.per_mu" and "Suichuan" in species.source
    # A made-up factor and a second species with the same code are refused.
    bad = post(client, f"{page}/species", page, {**SPECIES, "species-factor": "made.up"})
    assert bad.status_code == 400
    again = post(client, f"{page}/species", page, SPECIES)
    assert again.status_code == 400
    assert count(SiteSpecies) == 1


def test_plot_import_is_all_or_nothing_with_line_numbers(client, new_site):
    page = "/admin/sites/DT-QS"
    post(client, f"{page}/species", page, SPECIES)
    bad = (
        b"code,species,price,area_mu,trees,polygon,x,y,size_m\n"
        b'E-01,arborvitae,600,1.5,100,"0 0; 20 0; 20 20; 0 20",,,\n'
        b"E-02,oak,600,1.5,100,,35,10,20\n"
        b"E-03,arborvitae,-5,1.5,100,,60,10,20\n"
        b"E-01,arborvitae,600,1.5,100,,80,10,20\n"
        b"E-05,arborvitae,600,1.5,100,,,,\n"
    )
    response = post(
        client,
        f"{page}/plots",
        page,
        {"plots-file": (io.BytesIO(bad), "plots.csv")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    for line in (3, 4, 5, 6):
        assert f"Line {line}" in html or f"第 {line} 行" in html, line
    assert "Line 2" not in html and "第 2 行" not in html
    assert count(Plot) == 0

    good = (
        "code,species,price,area_mu,trees,polygon,x,y,size_m\n"
        'e-01,arborvitae,600,1.5,100,"0 0; 20 0; 20 20; 0 20",,,\n'
        "E-02,arborvitae,480.5,,60,,35,10,20\n"
    ).encode("gb18030")
    response = post(
        client,
        f"{page}/plots",
        page,
        {"plots-file": (io.BytesIO(good), "plots.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    plots = db.session.scalars(select(Plot).order_by(Plot.code)).all()
    assert [(p.code, p.price, p.tree_count) for p in plots] == [
        ("E-01", Decimal("600.00"), 100),
        ("E-02", Decimal("480.50"), 60),
    ]
    site_page = client.get("/sites/DT-QS").get_data(as_text=True)
    assert "E-01" in site_page and "E-02" in site_page and "<svg" in site_page


def test_site_photos_are_reencoded_and_shown(app, client, new_site):
    page = "/admin/sites/DT-QS"
    response = post(
        client,
        f"{page}/photos",
        page,
        {
            "photo-photo": (io.BytesIO(jpeg_with_gps()), "IMG_1.jpg"),
            "photo-caption_zh": "春季造林",
            "photo-caption_en": "Spring planting",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    photo = db.session.scalar(select(SitePhoto))
    served = client.get(f"/site-photos/{photo.id}.jpg")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    image = Image.open(io.BytesIO(served.data))
    served.close()
    assert image.format == "JPEG" and not image.getexif()
    public = client.get("/sites/DT-QS").get_data(as_text=True)
    assert f"/site-photos/{photo.id}.jpg" in public and "春季造林" in public
    # An SVG is refused and leaves no file and no row.
    files_before = sorted(Path(app.config["PLOT_PHOTO_DIR"]).rglob("*.jpg"))
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    response = post(
        client,
        f"{page}/photos",
        page,
        {"photo-photo": (io.BytesIO(svg), "a.svg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "JPEG" in response.get_data(as_text=True)
    assert count(SitePhoto) == 1
    assert sorted(Path(app.config["PLOT_PHOTO_DIR"]).rglob("*.jpg")) == files_before
