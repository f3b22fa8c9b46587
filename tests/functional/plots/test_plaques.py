"""Plaque sheet and entrance poster PDFs: their QR codes decode to our pages."""

from __future__ import annotations

import subprocess
from urllib.parse import urlsplit

import pytest

from tests.support.pdftools import decoded, rasterise_pages
from webapp.extensions import db
from webapp.services.plots import rangers


@pytest.fixture
def staff(client, auth, make_user, site):
    ranger = make_user("ranger", email="ranger@example.cn")
    rangers.assign(db.session, ranger, site, actor=make_user("admin", email="a@example.cn"))
    db.session.commit()
    auth.login("ranger@example.cn")
    return ranger


def test_plaques_pdf_qr_codes_lead_to_each_plot_page(app, client, staff, make_plot):
    plots = [make_plot(f"A-0{i}") for i in range(1, 4)] + [make_plot("LONG-CODE-12345")]
    response = client.get("/sites/CLS-JN/plaques.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    texts = sorted(decoded(response.data))
    base = app.config["BASE_URL"].upper()
    assert texts == sorted(f"{base}/P/CLS-JN/{p.code}" for p in plots)
    for text in texts:
        target = client.get(urlsplit(text).path)
        assert target.status_code == 302
        code = text.rsplit("/", 1)[1]
        assert target.headers["Location"].endswith(f"/sites/CLS-JN/plots/{code}")
        assert client.get(target.headers["Location"]).status_code == 200
    words = subprocess.run(
        ["pdftotext", "-", "-"], input=response.data, capture_output=True, check=True
    ).stdout.decode()
    assert "A-01" in words and "徂徕山碳汇林纪念基地" in words and "侧柏" in words


def test_plaques_span_several_pages(client, staff, make_plot):
    for i in range(10):
        make_plot(f"B-{i:02d}")
    pdf = client.get("/sites/CLS-JN/plaques.pdf").data
    assert len(rasterise_pages(pdf)) == 2
    assert len(decoded(pdf)) == 10


def test_poster_pdf_qr_code_leads_to_the_site(app, client, staff, make_plot):
    make_plot()
    response = client.get("/sites/CLS-JN/poster.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    [text] = decoded(response.data)
    assert text == f"{app.config['BASE_URL'].upper()}/S/CLS-JN"
    location = client.get(urlsplit(text).path).headers["Location"]
    assert location.endswith("/sites/CLS-JN")
    words = subprocess.run(
        ["pdftotext", "-", "-"], input=response.data, capture_output=True, check=True
    ).stdout.decode()
    assert "projected" in words and "forest.project.suichuan.per_mu" in words


def test_plaques_need_staff(client, auth, make_user, site):
    assert client.get("/sites/CLS-JN/plaques.pdf").status_code == 302  # to the login page
    make_user(email="resident@example.cn")
    auth.login("resident@example.cn")
    assert client.get("/sites/CLS-JN/plaques.pdf").status_code == 403
    assert client.get("/sites/CLS-JN/poster.pdf").status_code == 403


def test_admins_may_print_any_site(client, auth, make_user, site, make_plot):
    make_plot()
    make_user("admin", email="boss@example.cn")
    auth.login("boss@example.cn")
    assert client.get("/sites/CLS-JN/plaques.pdf").data.startswith(b"%PDF")


def test_plaque_page_is_an_image_of_a4_size(client, staff, make_plot):
    make_plot()
    [page] = rasterise_pages(client.get("/sites/CLS-JN/plaques.pdf").data, dpi=30)
    assert abs(page.width - round(210 / 25.4 * 30)) <= 2
    assert abs(page.height - round(297 / 25.4 * 30)) <= 2
