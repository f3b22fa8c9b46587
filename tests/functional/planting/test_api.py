"""GET /api/v1/planting-days and /api/v1/planting-days/<code>, as documented."""

from __future__ import annotations

from tests.support.openapi import check_schema
from webapp.extensions import db
from webapp.services.planting import registrations


def test_the_list_and_one_day_match_the_openapi_document(client, planting_day, make_user):
    registrations.register(
        db.session,
        planting_day,
        make_user(),
        [registrations.Person("林"), registrations.Person("苗", True)],
    )
    db.session.commit()
    doc = client.get("/api/v1/openapi.json").get_json()
    listing = client.get("/api/v1/planting-days").get_json()
    check_schema(
        doc,
        doc["paths"]["/api/v1/planting-days"]["get"]["responses"]["200"]["content"][
            "application/json"
        ]["schema"],
        listing,
    )
    (item,) = listing["planting_days"]
    assert item["code"] == planting_day.code and item["site"] == "CLS-JN"
    assert (item["capacity"], item["registered"], item["trees"]) == (4, 2, 50)
    one = client.get(f"/api/v1/planting-days/{planting_day.code.lower()}").get_json()
    check_schema(
        doc,
        doc["paths"]["/api/v1/planting-days/{code}"]["get"]["responses"]["200"]["content"][
            "application/json"
        ]["schema"],
        one,
    )
    assert one["results"]["planters_public"] == []
    assert "林" not in client.get("/api/v1/planting-days").get_data(as_text=True)
    missing = client.get("/api/v1/planting-days/PDNOPE22")
    assert missing.status_code == 404 and missing.get_json()["error"]["status"] == 404
