"""GET /api/v1/sites and /api/v1/sites/<code>: public data only, documented in OpenAPI."""

from __future__ import annotations

import json

from webapp.models import Privacy


def test_sites_list(client, site, make_plot, make_user, sponsor_plot):
    make_plot()
    sponsor_plot(make_plot(), make_user())
    data = client.get("/api/v1/sites").get_json()
    [item] = data["sites"]
    assert item["code"] == "CLS-JN"
    assert (item["plot_count"], item["available_count"], item["sponsored_count"]) == (2, 1, 1)
    assert item["url"].endswith("/sites/CLS-JN")
    assert "plots" not in item


def test_site_with_plots_species_and_public_dedication_only(
    client, site, make_plot, make_user, sponsor_plot
):
    free = make_plot("A-01")
    buyer = make_user(email="hidden.buyer@example.cn", name="账户名")
    sponsor_plot(make_plot("A-02"), buyer, name="王小林", privacy=Privacy.INITIALS)
    response = client.get("/api/v1/sites/cls-jn")
    assert response.status_code == 200
    data = response.get_json()
    assert data["boundary"] == [[0, 0], [120, 0], [120, 80], [0, 80]]
    [species] = data["species"]
    assert species["projected_t_per_mu_year"] == "0.5714"
    assert species["delivery"] == "projected"
    assert species["factor_id"] == "forest.project.suichuan.per_mu"
    assert species["source_url"].startswith("http")
    first, second = data["plots"]
    assert first["code"] == free.code and first["status"] == "available"
    assert first["price"] == "600.00" and first["dedication"] is None
    assert first["area_mu"] == "1.50" and first["tree_count"] == 100
    assert first["geometry"]["type"] == "polygon" and len(first["geometry"]["points"]) == 4
    assert second["status"] == "sponsored" and second["price"] is None
    assert second["dedication"] == {"kind": "wedding", "message": "愿你长青", "sponsor": "王**"}
    text = json.dumps(data, ensure_ascii=False)
    for secret in ("hidden.buyer", "账户名", "王小林", "holder", "T-", "sponsor_user"):
        assert secret not in text


def test_unknown_site_is_a_json_404(client, site):
    response = client.get("/api/v1/sites/NOPE")
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404


def test_openapi_documents_the_site_endpoints(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    listing = doc["paths"]["/api/v1/sites"]["get"]
    one = doc["paths"]["/api/v1/sites/{code}"]["get"]
    assert listing["operationId"] == "listMemorialSites"
    assert one["operationId"] == "getMemorialSite"
    assert one["parameters"][0]["name"] == "code"
    schemas = doc["components"]["schemas"]
    assert {"MemorialSite", "MemorialSiteSummary", "Plot", "SiteSpecies", "PlotGeometry"} <= set(
        schemas
    )
    assert "sponsor_name" not in json.dumps(schemas["Plot"])


def test_api_answers_match_the_documented_required_fields(
    client, site, make_plot, make_user, sponsor_plot
):
    make_plot()
    sponsor_plot(make_plot(), make_user())
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    data = client.get("/api/v1/sites/CLS-JN").get_json()
    assert set(schemas["MemorialSiteSummary"]["required"]) <= set(data)
    assert set(schemas["MemorialSite"]["allOf"][1]["required"]) <= set(data)
    for plot in data["plots"]:
        assert set(schemas["Plot"]["required"]) == set(plot)
        assert plot["status"] in schemas["Plot"]["properties"]["status"]["enum"]
    for species in data["species"]:
        assert set(schemas["SiteSpecies"]["required"]) <= set(species)
    listed = client.get("/api/v1/sites").get_json()["sites"][0]
    assert set(schemas["MemorialSiteSummary"]["required"]) == set(listed)
