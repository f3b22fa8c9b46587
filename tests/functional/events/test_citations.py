"""Citations, not notes: what users read names publications, never how a figure was found.

Every place a factor is shown (calculator results, the methodology page, the event page
and its CSV/PDF report, site and plot pages, the API) is rendered and scanned for the
traces of how the reference compilation was researched: index ids, repository talk,
"recalled", file paths.  Each factor shown must name its citation and verification status.
Provenance is allowed only inside the methodology page's auditor detail.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pytest

from tests.support.calculator import EVENT, HOUSEHOLD, calculate, latest
from tests.support.events import ESTIMATE, fresh, post, save_calculation
from tests.support.pdftools import pdftotext
from webapp.extensions import db
from webapp.models import Event, FootprintCalculation
from webapp.services.footprint import load_factor_set
from webapp.services.plots import rangers

# What the research notes of the reference compilation look like.
NOTES = re.compile(
    r"index id|search[- ]index|file id|\brepo\b|repositor|github|recalled|"
    r"shared/reference|\b[\w-]+\.json\b",
    re.IGNORECASE,
)
# A line stored before citations existed carried its factor's compiled source.
OLD_SOURCE = (
    "MEE & NBS 2022 via public GitHub JS file 'electricityEmissionFactors' "
    "(search-index file id 18672665361; repo not named by index) (recalled)"
)
STATUS_WORDS = {
    "en": {"verified": "verified", "secondary": "secondary source", "UNVERIFIED": "UNVERIFIED"},
    "zh": {"verified": "已核实", "secondary": "二手来源", "UNVERIFIED": "未核实"},
}


def visible_text(page: str) -> str:
    """What a reader sees: the page without scripts, styles and markup."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def assert_no_notes(text: str, where: str) -> None:
    found = sorted({m.group(0) for m in NOTES.finditer(text)})
    assert not found, f"{where} shows research notes: {found}"


def strings(value: object) -> str:
    """Every string in a JSON document, one per line."""
    if isinstance(value, dict):
        return "\n".join(strings(k) + "\n" + strings(v) for k, v in value.items())
    if isinstance(value, list):
        return "\n".join(strings(v) for v in value)
    return value if isinstance(value, str) else ""


def assert_lines_cited(page: str, version: str, lang: str) -> None:
    """Each table cell naming a factor id also shows its citation and its status."""
    fs = load_factor_set(version)
    rows = []
    for chunk in page.split("</td>"):
        cell = chunk[chunk.rfind("<td") :]
        match = re.search(r'<code class="factor-id">([^<]+)</code>', cell)
        if match:
            rows.append((match.group(1), cell))
    assert rows, "no factor lines on the page"
    for factor_id, cell in rows:
        factor = fs.get(factor_id)
        assert factor.citation.strip(), factor_id
        text = " ".join(visible_text(cell).split())
        assert factor.citation in text, f"{factor_id}: citation not shown"
        assert STATUS_WORDS[lang][factor.verification] in text, f"{factor_id}: no status"


def _age(token: str) -> None:
    """Make the stored calculation look as it was saved before citations existed."""
    calc = db.session.query(FootprintCalculation).filter_by(token=token).one()
    result = dict(calc.result)
    result["lines"] = [dict(line, source=OLD_SOURCE) for line in result["lines"]]
    calc.result = result
    db.session.commit()


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(("kind", "data"), [("household", HOUSEHOLD), ("event", EVENT)])
def test_result_pages_cite_publications(client, lang, kind, data):
    client.set_cookie("lang", lang)
    fresh_token = calculate(client, kind, data)
    old_token = calculate(client, kind, data)
    _age(old_token)
    for token in (fresh_token, old_token):
        page = client.get(f"/footprint/r/{token}").get_data(as_text=True)
        assert_no_notes(visible_text(page), f"{kind} result ({lang})")
        assert_lines_cited(page, latest().factor_set, lang)


def test_methodology_keeps_provenance_in_the_auditor_detail_only(client):
    client.set_cookie("lang", "en")
    page = client.get("/footprint/methodology").get_data(as_text=True)
    fs = load_factor_set()
    details = re.findall(r'<details class="provenance.*?</details>', page, flags=re.S)
    assert len(details) == len(fs.factors)
    assert all("For auditors: how this figure was obtained" in d for d in details)
    provenance = " ".join(visible_text("".join(details)).split())
    for factor in fs.factors.values():
        assert " ".join(factor.provenance.split()) in provenance, factor.id
    public = re.sub(r'<details class="provenance.*?</details>', " ", page, flags=re.S)
    assert_no_notes(visible_text(public), "methodology page")
    cells = re.findall(r'<span class="small citation">(.*?)</span>', public, flags=re.S)
    assert len(cells) == len(fs.factors)
    assert all(visible_text(c).strip() for c in cells)


def test_factor_set_api_names_citations_not_notes(client):
    body = client.get("/api/v1/factor-sets").get_json()
    assert_no_notes(strings(body), "factor-set list")
    detail = client.get(f"/api/v1/factor-sets/{body['latest']}").get_json()
    assert_no_notes(strings(detail), "factor-set detail")
    for f in detail["factors"]:
        assert f["citation"].strip() and f["verification"], f["id"]


def test_footprint_api_lines_cite_publications(client):
    body = client.post("/api/v1/footprints/household", json={
        "province": "CN-GD", "household_size": 2, "electricity_kwh": "3000",
        "heat_gj": "10", "diet": "medium_meat", "cars": [{"fuel": "diesel", "km": "100"}],
    }).get_json()  # fmt: skip
    assert_no_notes(strings(body), "footprint API")
    fs = load_factor_set(body["factor_set"])
    for line in body["lines"]:
        assert line["source"] == fs.get(line["factor_id"]).citation


def test_derived_figures_cite_what_they_derive_from():
    fs = load_factor_set()
    derived = [f for f in fs.factors.values() if f.source.startswith("derived from ")]
    assert derived
    for f in derived:
        for basis in f.source.removeprefix("derived from ").replace(" and ", " ").split():
            assert basis in f.citation and fs.get(basis).citation in f.citation, f.id


def test_event_page_and_reports_cite_publications(app, client, organiser, org, event):
    calc = save_calculation(organiser, ESTIMATE)
    manage = f"/events/{event.code}/manage"
    post(client, f"/events/{event.code}/estimate", {"estimate-calculation": calc.token}, manage)
    _age(calc.token)
    event = fresh(Event, event.id)
    fs = load_factor_set(calc.factor_set)

    for lang in ("zh", "en"):
        client.set_cookie("lang", lang)
        page = client.get(f"/events/{event.code}").get_data(as_text=True)
        assert_no_notes(visible_text(page), f"event page ({lang})")
        assert_lines_cited(page, calc.factor_set, lang)

    report = client.get(f"/events/{event.code}/report.csv").get_data(as_text=True)  # English
    assert_no_notes(report, "event report CSV")
    rows = list(csv.reader(io.StringIO(report.lstrip("\ufeff"))))
    header = next(r for r in rows if r and r[0] == "Category")
    after = rows[rows.index(header) + 1 :]
    section = after[: next((i for i, r in enumerate(after) if not r), len(after))]
    lines = [dict(zip(header, r, strict=True)) for r in section]
    assert lines
    for line in lines:
        factor = fs.get(line["Factor id"])
        verification = {"verified": "verified", "secondary": "secondary source"}.get(
            factor.verification, factor.verification
        )
        assert line["Source"] == factor.citation and line["Verification status"] == verification

    pdf = client.get(f"/events/{event.code}/report.pdf")
    assert pdf.status_code == 200
    text = " ".join(pdftotext(pdf.data).split())
    assert_no_notes(text, "event report PDF")
    assert "MEE & NBS" in text and "Scarborough" in text and "二手来源 secondary source" in text


def test_site_plot_poster_and_api_cite_the_rate(app, client, auth, make_user, make_plot):
    plot = make_plot()
    factor = load_factor_set().get("forest.project.suichuan.per_mu")
    for lang in ("zh", "en"):
        client.set_cookie("lang", lang)
        for path in (f"/sites/{plot.site.code}", f"/sites/{plot.site.code}/plots/{plot.code}"):
            page = client.get(path).get_data(as_text=True)
            text = " ".join(visible_text(page).split())
            assert_no_notes(text, path)
            assert factor.citation in text, path
            assert STATUS_WORDS[lang][factor.verification] in text, path
    body = client.get(f"/api/v1/sites/{plot.site.code}").get_json()
    assert_no_notes(json.dumps(body, ensure_ascii=False), "site API")
    (sp,) = body["species"]
    assert sp["source"] == factor.citation and sp["verification"] == factor.verification

    ranger = make_user("ranger", email="ranger@example.cn")
    rangers.assign(db.session, ranger, plot.site, actor=make_user("admin", email="a@example.cn"))
    db.session.commit()
    auth.login("ranger@example.cn")
    poster = client.get(f"/sites/{plot.site.code}/poster.pdf")
    assert poster.status_code == 200
    text = " ".join(pdftotext(poster.data).split())
    assert_no_notes(text, "site poster")
    assert "已核实 verified" in text
