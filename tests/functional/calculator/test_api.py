"""Footprint JSON API: results, per-field 400s (never 500, never stored), factor sets, and the
OpenAPI document checked structurally and against real requests and answers."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.support.openapi import check_schema, resolve_ref
from webapp.blueprints.api import openapi
from webapp.blueprints.api.footprints import EVENT_EXAMPLE, HOUSEHOLD_EXAMPLE, MAX_BODY
from webapp.extensions import db
from webapp.models import FootprintCalculation
from webapp.services.footprint import (
    event_footprint,
    household_footprint,
    load_factor_set,
    parse_event,
    parse_household,
)

HOUSEHOLD_URL = "/api/v1/footprints/household"
EVENT_URL = "/api/v1/footprints/event"
EN = {"Accept-Language": "en"}


def stored() -> int:
    n = db.session.scalar(select(func.count()).select_from(FootprintCalculation))
    db.session.rollback()
    return n


def test_household_example_from_the_issue(client):
    response = client.post(HOUSEHOLD_URL, json=HOUSEHOLD_EXAMPLE)
    assert response.status_code == 200
    body = response.get_json()
    assert body == household_footprint(parse_household(HOUSEHOLD_EXAMPLE)).to_dict()
    assert body["factor_set"] == "cn-2026.1" and body["kind"] == "household"
    total = sum(Decimal(line["kg"]) for line in body["lines"])
    assert Decimal(body["total_kg"]) == total
    for line in body["lines"]:
        assert Decimal(line["kg"]) == Decimal(line["quantity"]) * Decimal(line["factor"])
        assert set(line) >= {
            "category",
            "activity",
            "quantity",
            "unit",
            "factor",
            "factor_unit",
            "factor_id",
            "source",
            "kg",
        }
    assert Decimal(body["per_person_kg"]) == (Decimal(body["total_kg"]) / 3).quantize(
        Decimal("0.000001")
    )
    flight = next(line for line in body["lines"] if line["category"] == "flights")
    assert flight["alternative"]["label"] == "without_rf"
    assert stored() == 0


def test_event_example_from_the_issue(client):
    response = client.post(EVENT_URL, json=EVENT_EXAMPLE)
    assert response.status_code == 200
    body = response.get_json()
    assert body == event_footprint(parse_event(EVENT_EXAMPLE)).to_dict()
    assert body["kind"] == "event" and body["benchmark"] is None
    assert {line["category"] for line in body["lines"]} == {
        "travel",
        "accommodation_catering",
        "purchased_energy",
    }
    assert stored() == 0


def test_decimal_strings_and_province_without_prefix(client):
    body = {"province": "gd", "household_size": "3", "electricity_kwh": "3600.5"}
    response = client.post(HOUSEHOLD_URL, json=body)
    assert response.status_code == 200
    line = response.get_json()["lines"][0]
    assert line["quantity"] == "3600.5" and line["factor_id"] == "cn.grid.province.guangdong.2022"


BAD_HOUSEHOLD = [
    # (body, path, English message)
    ({"electricity_kwh": -1}, "electricity_kwh", "Must not be negative."),
    (
        {"electricity_kwh": "lots"},
        "electricity_kwh",
        "Must be a plain decimal number such as 12.5.",
    ),
    ({"electricity_kwh": "NaN"}, "electricity_kwh", "Must be a plain decimal number such as 12.5."),
    ({"natural_gas_m3": 1e999}, "natural_gas_m3", "Must be a finite number."),
    ({"electricity_kwh": 10**12}, "electricity_kwh", "Must be at most 1000000."),
    ({"electricity_kwh": 0.1234567}, "electricity_kwh", "Use at most 6 decimal places."),
    ({"electricity_kwh": True}, "electricity_kwh", "Must be a number, not true or false."),
    ({"electricity_kwh": [1]}, "electricity_kwh", "Must be a number."),
    (
        {"province": "CN-XX"},
        "province",
        "Unknown province. Use an ISO 3166-2:CN code such as CN-SD.",
    ),
    ({"province": 44}, "province", "Must be text."),
    (
        {"flights": [{"from": "ZZZ", "to": "PEK"}]},
        "flights[0].from",
        "Unknown airport or city. Type a city (杭州, Hangzhou) or an airport code (HGH).",
    ),
    ({"flights": [{"from": "PEK"}]}, "flights[0].to", "This field is required."),
    ({"flights": "CAN-PEK"}, "flights", "Must be a list."),
    ({"cars": [{"fuel": "coal", "km": 1}]}, "cars[0].fuel", "Must be one of:"),
    ({"cars": [{"km": 1}]}, "cars[0].fuel", "This field is required."),
    ({"cars": [{"fuel": "petrol", "km": 1}] * 21}, "cars", "At most 20 entries are allowed."),
    ({"diet": "carnivore"}, "diet", "Must be one of:"),
    ({"colour": "green"}, "colour", "Unknown field."),
    ({"transit": {"boat_km": 5}}, "transit.boat_km", "Unknown field."),
    ({"household_size": None}, "household_size", "This field is required."),
    ({"household_size": 1.5}, "household_size", "Must be a whole number."),
]


@pytest.mark.parametrize(("change", "path", "message"), BAD_HOUSEHOLD)
def test_household_bad_input_is_400_with_per_field_messages(client, change, path, message):
    body = {"province": "CN-GD", "household_size": 3, **change}
    response = client.post(HOUSEHOLD_URL, json=body, headers=EN)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["status"] == 400 and error["title"] == "Bad request"
    assert error["fields"][path].startswith(message), error["fields"]
    assert stored() == 0


def test_nan_and_infinity_literals(client):
    for literal in ("NaN", "Infinity", "-Infinity"):
        data = f'{{"province": "CN-GD", "household_size": 3, "lpg_kg": {literal}}}'
        response = client.post(
            HOUSEHOLD_URL, data=data, content_type="application/json", headers=EN
        )
        assert response.status_code == 400
        assert response.get_json()["error"]["fields"]["lpg_kg"] in (
            "Must be a finite number.",
            "Must not be negative.",
        )


def test_missing_required_fields_and_messages_in_chinese(client):
    response = client.post(HOUSEHOLD_URL, json={})
    fields = response.get_json()["error"]["fields"]
    assert response.status_code == 400
    assert fields == {"province": "此项为必填项。", "household_size": "此项为必填项。"}
    response = client.post(HOUSEHOLD_URL, json={}, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert response.get_json()["error"]["title"] == "请求有误"


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ({"participants": 0}, "participants", "Must be at least 1."),
        ({"vegetarian_share": 1.5}, "vegetarian_share", "Must be at most 1."),
        ({"travel": [{"mode": "rocket", "people": 1, "one_way_km": 1}]}, "travel[0].mode", "Must"),
        (
            {"travel": [{"mode": "flight", "people": 1, "one_way_km": 30000}]},
            "travel[0].one_way_km",
            "Must be at most 20040.",
        ),
        ({"venue": {"electricity_kwh": "-0.5"}}, "venue.electricity_kwh", "Must not be negative."),
        ({"venue": {"gas": 1}}, "venue.gas", "Unknown field."),
        ({"round_trip": "sometimes"}, "round_trip", "Must be true or false."),
        ({"meals": "1e3"}, "meals", "Must be a plain decimal number such as 12.5."),
    ],
)
def test_event_bad_input(client, change, path, message):
    body = {"province": "CN-SD", "participants": 300, **change}
    response = client.post(EVENT_URL, json=body, headers=EN)
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"][path].startswith(message)
    assert stored() == 0


@pytest.mark.parametrize(
    ("data", "content_type", "message"),
    [
        ("{not json", "application/json", "The body is not valid JSON."),
        ("", "application/json", "The body is not valid JSON."),
        (b"\xff\xfe\x00garbage", "application/json", "The body is not valid JSON."),
        ("[" * 100_000 + "]" * 100_000, "application/json", "The body is larger than"),
        ("[" * 30_000 + "]" * 30_000, "application/json", "The body is not valid JSON."),
        ('{"province": "CN-GD"}', "text/plain", "Send the body as JSON"),
        ("province=CN-GD", "application/x-www-form-urlencoded", "Send the body as JSON"),
        (json.dumps({"province": "CN-GD", "x": "y" * MAX_BODY}), "application/json", "larger"),
        (json.dumps([1, 2, 3]), "application/json", "Must be an object with named fields."),
        (json.dumps("text"), "application/json", "Must be an object with named fields."),
    ],
)
def test_malformed_bodies_are_400_never_500(client, data, content_type, message):
    for url in (HOUSEHOLD_URL, EVENT_URL):
        response = client.post(url, data=data, content_type=content_type, headers=EN)
        assert response.status_code == 400, response.get_data(as_text=True)[:300]
        error = response.get_json()["error"]
        assert message in error["fields"]["_root"] and error["message"]
    assert stored() == 0


def test_no_content_type_at_all(client):
    response = client.post(HOUSEHOLD_URL, data=b'{"province": "CN-GD"}', headers=EN)
    assert response.status_code == 400
    assert "Send the body as JSON" in response.get_json()["error"]["message"]


def test_wrong_method_is_405_json(client):
    response = client.get(HOUSEHOLD_URL)
    assert response.status_code == 405 and response.get_json()["error"]["status"] == 405


def test_api_never_stores_even_when_signed_in(client, auth):
    auth.register()
    assert client.post(HOUSEHOLD_URL, json=HOUSEHOLD_EXAMPLE).status_code == 200
    assert stored() == 0


# ---- factor sets -------------------------------------------------------------------------------


def test_factor_set_list_and_detail(client):
    listing = client.get("/api/v1/factor-sets")
    assert listing.status_code == 200
    body = listing.get_json()
    assert body["latest"] == "cn-2026.1"
    assert body["factor_sets"][0]["url"] == "/api/v1/factor-sets/cn-2026.1"

    detail = client.get("/api/v1/factor-sets/cn-2026.1")
    assert detail.status_code == 200 and "public" in detail.headers["Cache-Control"]
    data = detail.get_json()
    fs = load_factor_set("cn-2026.1")
    assert data["version"] == fs.version and data["roles"] == dict(fs.roles)
    assert [f["id"] for f in data["factors"]] == list(fs.factors)
    by_id = {f["id"]: f for f in data["factors"]}
    assert by_id["cn.grid.province.guangdong.2022"]["value"] == "0.4403"
    assert by_id["assume.ev.kwh_per_100km"]["verification"] == "UNVERIFIED"
    assert by_id["price.ccer.2025"]["range"] == ["60", "80"]
    for f in data["factors"]:
        assert f["value"] is None or Decimal(f["value"]) == fs.get(f["id"]).value


@pytest.mark.parametrize("version", ["cn-1999.1", "latest", "..%2F..%2Fetc", "cn-2026.1.json"])
def test_unknown_factor_set_is_404_json(client, version):
    response = client.get(f"/api/v1/factor-sets/{version}")
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404


# ---- OpenAPI -----------------------------------------------------------------------------------


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def _flask_rule_to_openapi(rule: str) -> str:
    return re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", rule)


def test_openapi_document_is_structurally_sound(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc == json.loads(json.dumps(openapi.document()))
    assert re.fullmatch(r"3\.1\.\d+", doc["openapi"])
    assert doc["info"]["title"] and doc["info"]["version"]
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    operation_ids = []
    for path, item in doc["paths"].items():
        assert path.startswith("/api/v1/")
        operations = {k: v for k, v in item.items() if k in methods}
        assert operations, f"{path} has no operations"
        declared = set(re.findall(r"{(\w+)}", path))
        for method, op in operations.items():
            assert op.get("responses"), f"{method.upper()} {path} has no responses"
            for status, answer in op["responses"].items():
                assert re.fullmatch(r"[1-5]\d\d|default", status)
                assert answer.get("description"), f"{method} {path} {status}"
            operation_ids.append(op["operationId"])
            params = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert params == declared, f"{method} {path}: path parameters"
    assert len(operation_ids) == len(set(operation_ids)), "operationIds must be unique"
    refs = _refs(doc)
    assert refs, "the document should reuse schemas"
    for ref in refs:
        resolve_ref(doc, ref)

    # every API rule the app serves is described, with its methods
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = _flask_rule_to_openapi(rule.rule)
        assert path in doc["paths"], f"{rule.rule} is not in openapi.json"
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            assert method.lower() in doc["paths"][path], f"{method} {rule.rule} is not documented"


def test_openapi_limits_come_from_the_engine(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    household = schemas["HouseholdInput"]
    assert household["additionalProperties"] is False
    assert set(household["required"]) == {"province", "household_size"}
    kwh = household["properties"]["electricity_kwh"]["anyOf"][0]
    assert kwh == {
        "type": "number",
        "minimum": 0,
        "maximum": 1_000_000,
        "multipleOf": 0.000001,
    }
    assert household["properties"]["flights"]["maxItems"] == 200
    assert schemas["EventInput"]["properties"]["travel"]["maxItems"] == 100


# A small JSON Schema checker for the keywords the document uses: enough to prove that the
# documented schemas accept what the API accepts and describe what it answers.


def _operation_schemas(doc, path, method, status):
    op = doc["paths"][path][method]
    request = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    answer = op["responses"][status]["content"]["application/json"]["schema"]
    return request, answer


@pytest.mark.parametrize(
    ("url", "body"),
    [
        (HOUSEHOLD_URL, HOUSEHOLD_EXAMPLE),
        (EVENT_URL, EVENT_EXAMPLE),
        (
            HOUSEHOLD_URL,
            {
                "province": "sd",
                "household_size": "2",
                "electricity_kwh_month": "250.5",
                "heated_area_m2": 90,
                "cars": [{"fuel": "electric", "km": 12000}, {"fuel": "hybrid", "km": "3000"}],
                "taxi_km": 500,
                "transit": {"rail_km": 800},
                "flights": [
                    {"distance_km": 8000, "return": True, "cabin": "business", "passengers": 2},
                    {"from": "pvg", "to": "LHR"},
                ],
                "diet": "vegan",
                "waste_kg": 300,
                "lpg_kg": 12,
            },
        ),
        (
            EVENT_URL,
            {
                "province": "CN-XZ",
                "participants": 50,
                "venue_fuel": {"natural_gas_m3": 100, "diesel_l": 50},
                "venue": {"heat_gj": 5},
                "official_vehicles": [{"fuel": "diesel", "km": 300}, {"fuel": "electric", "km": 1}],
                "travel": [{"mode": "car", "people": 5, "one_way_km": 40}],
                "round_trip": False,
                "meals": 100,
                "vegetarian_share": "0.5",
                "materials": {"paper_kg": 3, "printed_kg": 1.5},
                "waste_kg": 20,
            },
        ),
    ],
)
def test_requests_and_answers_match_the_documented_schemas(client, url, body):
    doc = client.get("/api/v1/openapi.json").get_json()
    request, answer = _operation_schemas(doc, url, "post", "200")
    check_schema(doc, request["schema"], body)
    if "example" in request:
        check_schema(doc, request["schema"], request["example"])
    response = client.post(url, json=body)
    assert response.status_code == 200
    check_schema(doc, answer, response.get_json())
    bad = client.post(url, json={**body, "unknown": 1})
    assert bad.status_code == 400
    check_schema(
        doc,
        doc["paths"][url]["post"]["responses"]["400"]["content"]["application/json"]["schema"],
        bad.get_json(),
    )
    with pytest.raises(AssertionError):
        check_schema(doc, request["schema"], {**body, "unknown": 1})


def test_factor_set_answers_match_the_documented_schemas(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    listing = doc["paths"]["/api/v1/factor-sets"]["get"]["responses"]["200"]
    check_schema(
        doc,
        listing["content"]["application/json"]["schema"],
        client.get("/api/v1/factor-sets").get_json(),
    )
    detail = doc["paths"]["/api/v1/factor-sets/{version}"]["get"]["responses"]
    check_schema(
        doc,
        detail["200"]["content"]["application/json"]["schema"],
        client.get("/api/v1/factor-sets/cn-2026.1").get_json(),
    )
    check_schema(
        doc,
        detail["404"]["content"]["application/json"]["schema"],
        client.get("/api/v1/factor-sets/cn-1999.1").get_json(),
    )
