"""Site and plot pages: the SVG map, keyboard-reachable plots, the list, privacy."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from webapp.models import PlotStatus, Privacy


class _Links(HTMLParser):
    """Collects <a> elements inside the map's <svg> and in the plot table."""

    def __init__(self) -> None:
        super().__init__()
        self.in_svg = self.in_table = 0
        self.svg_links: list[dict[str, str]] = []
        self.table_links: list[dict[str, str]] = []
        self.svg_roles: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg" and "site-map" in (a.get("class") or ""):
            self.in_svg += 1
            self.svg_roles.append(a.get("role", ""))
        elif tag == "table" and "plot-table" in (a.get("class") or ""):
            self.in_table += 1
        elif tag == "a" and self.in_svg:
            self.svg_links.append(a)
        elif tag == "a" and self.in_table:
            self.table_links.append(a)

    def handle_endtag(self, tag):
        if tag == "svg" and self.in_svg:
            self.in_svg -= 1
        elif tag == "table" and self.in_table:
            self.in_table -= 1


def parse(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


def _label(parsed: _Links, href: str) -> str:
    return next(a["aria-label"] for a in parsed.svg_links if a["href"] == href)


def en(client):
    client.set_cookie("lang", "en")
    return client


def test_sites_list(client, site, make_plot):
    make_plot()
    html = en(client).get("/sites").get_data(as_text=True)
    assert "Culai Mountain Memorial Forest" in html
    assert "/sites/CLS-JN" in html


def test_site_page_map_every_plot_focusable_with_a_name_and_a_list(
    client, site, make_plot, make_user, sponsor_plot
):
    plots = [make_plot() for _ in range(4)]
    sponsor_plot(plots[1], make_user())
    response = en(client).get("/sites/CLS-JN")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<svg" in html and "<polygon" in html
    parsed = parse(html)
    assert parsed.svg_roles == ["group"]
    assert len(parsed.svg_links) == len(plots)
    for plot, link in zip(plots, parsed.svg_links, strict=True):
        # an <a href> in SVG is in the tab order; its accessible name says what it is
        assert link["href"] == f"/sites/CLS-JN/plots/{plot.code}"
        assert "tabindex" not in link or link["tabindex"] != "-1"
        name = link["aria-label"]
        assert plot.code in name and "Chinese arborvitae" in name
    assert "Sponsored" in parsed.svg_links[1]["aria-label"]
    assert "Available to sponsor" in parsed.svg_links[0]["aria-label"]
    # The same plots as a table, for screen readers and small screens.
    # The tables link every plot's page, in the map's order within each group (free plots
    # first, open; then the others, collapsed), and each free plot's sponsorship page.
    plot_pages = [a["href"] for a in parsed.table_links if "/sponsor" not in a["href"]]
    in_map_order = [a["href"] for a in parsed.svg_links]
    free_first = [h for h in in_map_order if "Available" in _label(parsed, h)] + [
        h for h in in_map_order if "Available" not in _label(parsed, h)
    ]
    assert plot_pages == free_first and sorted(plot_pages) == sorted(in_map_order)
    assert '<details class="plot-group" id="plots-free" open>' in html
    assert '<details class="plot-group" id="plots-taken">' in html
    sponsor_links = [a["href"] for a in parsed.table_links if "/sponsor" in a["href"]]
    free = [p.code for p in plots if p.status is PlotStatus.AVAILABLE]
    assert sponsor_links == [f"/sites/CLS-JN/sponsor?plots={code}" for code in free]
    # The legend names every status in words (not colour alone) and uses patterns.
    for status in ("Available to sponsor", "Reserved", "Sponsored", "Planted", "Inspected"):
        assert status in html
    assert 'fill="url(#p-sponsored)"' in html and '<pattern id="p-reserved"' in html
    # Species with projected sequestration and its source; planting seasons; visiting.
    assert "0.5714" in html and "Projected (ex-ante)" in html
    assert "forest.project.suichuan.per_mu" in html and "tanjiaoyi.com" in html
    assert "Spring and autumn" in html and "About 40 minutes" in html
    # CSP: no inline script or style.
    assert "<script" not in html and " style=" not in html


def test_free_plots_link_to_the_sponsorship_page_and_sponsored_ones_do_not(
    client, site, make_plot, make_user, sponsor_plot
):
    free = make_plot()
    html = en(client).get(f"/sites/CLS-JN/plots/{free.code}").get_data(as_text=True)
    assert "Sponsor this plot" in html and "waiting for a sponsor" in html
    assert f'href="/sites/CLS-JN/sponsor?plots={free.code}"' in html
    taken = sponsor_plot(make_plot(), make_user(email="s@example.cn"))
    html = en(client).get(f"/sites/CLS-JN/plots/{taken.code}").get_data(as_text=True)
    assert "Sponsor this plot" not in html and "/sponsor?" not in html


@pytest.mark.parametrize(
    ("privacy", "shown"),
    [(Privacy.FULL, "李梅"), (Privacy.INITIALS, "李*"), (Privacy.ANONYMOUS, None)],
)
def test_plot_page_shows_the_sponsor_only_as_allowed(
    client, site, make_plot, make_user, sponsor_plot, privacy, shown
):
    buyer = make_user(email="limei.secret@example.cn", name="李梅账户")
    plot = sponsor_plot(make_plot(), buyer, name="李梅", privacy=privacy)
    for path in (f"/sites/CLS-JN/plots/{plot.code}", "/sites/CLS-JN", "/api/v1/sites/CLS-JN"):
        text = en(client).get(path).get_data(as_text=True)
        if path.startswith("/api"):
            text = text.encode().decode("unicode_escape")
        assert "limei.secret" not in text
        assert "李梅账户" not in text
        if shown is None:
            assert "李梅" not in text and "李*" not in text
        else:
            assert shown in text
            if shown != "李梅":
                assert "李梅" not in text
    html = en(client).get(f"/sites/CLS-JN/plots/{plot.code}").get_data(as_text=True)
    assert "Wedding" in html and "愿你长青" in html
    if privacy is Privacy.ANONYMOUS:
        assert "prefers to stay anonymous" in html


def test_plot_page_projected_and_delivered(client, site, make_plot):
    plot = make_plot()
    html = en(client).get(f"/sites/CLS-JN/plots/{plot.code}").get_data(as_text=True)
    # 0.5714 t/mu/yr × 1.50 mu = 0.86 t/yr, over 20 years 17.14 t — projected, with source
    assert "0.86 t CO₂e per year" in html
    assert "17.14" in html and "20 years" in html
    assert "Projected (ex-ante)" in html and "forest.project.suichuan.per_mu" in html
    assert "None yet" in html and "Nothing has been measured" in html
    assert "not an offset of emissions" in html


def test_short_links_from_qr_codes_redirect(client, site, make_plot):
    plot = make_plot("B-07")
    for path in ("/P/CLS-JN/B-07", "/p/cls-jn/b-07"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/sites/CLS-JN/plots/B-07")
    assert client.get("/S/CLS-JN").headers["Location"].endswith("/sites/CLS-JN")
    assert plot.code == "B-07"


def test_unknown_site_plot_and_photo_are_404(client, site):
    assert client.get("/sites/NOPE").status_code == 404
    assert client.get("/sites/CLS-JN/plots/Z-99").status_code == 404
    assert client.get("/sites/CLS-JN/plots/" + "x" * 40).status_code == 404
    assert client.get("/plot-photos/999.jpg").status_code == 404


def test_pages_render_in_chinese(client, site, make_plot):
    make_plot()
    html = client.get("/sites/CLS-JN").get_data(as_text=True)
    assert "徂徕山碳汇林纪念基地" in html and "侧柏" in html
    assert re.search(r'lang="zh-CN"', html)


def test_staff_links_only_for_staff_who_may_report(client, auth, site, make_plot, make_user):
    make_plot()
    make_user("ranger", email="elsewhere@example.cn")
    auth.login("elsewhere@example.cn")
    html = client.get("/sites/CLS-JN").get_data(as_text=True)
    assert "plaques.pdf" not in html  # not assigned to this site


def test_a_sponsor_sees_their_plots(site, make_plot, make_user, sponsor_plot):
    from webapp.extensions import db
    from webapp.services.plots import queries

    buyer = make_user()
    sponsor_plot(make_plot(), buyer)
    make_plot()
    assert [p.code for p in queries.plots_sponsored_by(db.session, buyer)] == ["A-01"]
