"""OpenAPI fragments for the registry endpoints (see webapp/blueprints/api/registry.py)."""

from __future__ import annotations

from typing import Any

from webapp.blueprints.api.openapi import PATHS, SCHEMAS, error_response, json_body, ref

# Query numbers are read as at most 18 digits (registry.py ``_int``).
MAX_QUERY_INT = 10**18 - 1
# One serial: a bare number, or the formatted serial (a range is for the register page).
SERIAL_PATTERN = r"^(?:[1-9][0-9]{0,11}|TH-[A-Z]{2}-[A-Z]{2,4}-[0-9]{4}-[0-9]{9})$"


def _q(name: str, description: str, *, required: bool = False, minimum: int = 0) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": {"type": "integer", "minimum": minimum, "maximum": MAX_QUERY_INT},
    }


def _get(
    summary: str,
    schema: dict[str, Any],
    *,
    params: list | None = None,
    errors: tuple[int, ...] = (),
) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": json_body(schema, summary)}
    for status in errors:
        responses[str(status)] = error_response(
            {400: "Invalid parameters", 404: "Not found"}[status]
        )
    return {
        "get": {
            "summary": summary,
            "tags": ["registry"],
            "parameters": params or [],
            "responses": responses,
        }
    }


_KG = {"type": "integer", "minimum": 0, "description": "kilograms CO2 (one serial = 1 kg)"}
_COUNTERS = ("issued_kg", "reserved_kg", "retired_kg", "available_kg")
_HEX = {"type": "string", "pattern": "^[0-9a-f]{64}$"}

SCHEMAS.update(
    {
        "Counters": {
            "type": "object",
            "required": list(_COUNTERS),
            "properties": dict.fromkeys(_COUNTERS, _KG),
        },
        "Project": {
            "type": "object",
            "description": "A sink project (碳汇项目) with its counters.",
            "required": [
                "code",
                "name_zh",
                "name_en",
                "type",
                "instrument",
                "status",
                "issued_kg",
                "reserved_kg",
                "retired_kg",
                "available_kg",
                "sells_projected_tonnes",
            ],
            "properties": {
                "code": {"type": "string"},
                "name_zh": {"type": "string"},
                "name_en": {"type": "string"},
                "type": {"enum": ["afforestation", "forest_management", "bamboo", "wetland"]},
                "instrument": {
                    "enum": ["ccer", "forestry_ticket", "carbon_puhui", "voluntary_planting"]
                },
                "status": {"enum": ["active", "closed"]},
                "location": {"type": "object"},
                "area_mu": {"type": "string"},
                "methodology": {"type": "string"},
                "crediting_period": {"type": "array"},
                "sells_projected_tonnes": {"type": "boolean"},
                "demo": {"type": "boolean"},
                "issued_kg": _KG,
                "reserved_kg": _KG,
                "retired_kg": _KG,
                "available_kg": _KG,
                "url": {"type": "string"},
                "issuances": {"type": "array", "items": ref("Issuance")},
            },
        },
        "Issuance": {
            "type": "object",
            "description": "An issuance (签发批次): a block of serials.",
            "properties": {
                "id": {"type": "integer"},
                "vintage": {"type": "integer"},
                "serials": {
                    "type": "string",
                    "description": "TH-<project>-<vintage>-<first>-<last>",
                },
                "serial_first": {"type": "integer"},
                "serial_last": {"type": "integer"},
                "issued_kg": _KG,
                "reserved_kg": _KG,
                "retired_kg": _KG,
                "available_kg": _KG,
                "price_per_tonne": {"type": "string"},
                "currency": {"const": "CNY"},
                "delivery": {"enum": ["verified", "projected"]},
                "expected_years": {"type": ["array", "null"]},
                "status": {"enum": ["approved", "on_sale", "closed"]},
            },
        },
        "Retirement": {
            "type": "object",
            "description": "A retirement (注销). `beneficiary` is null "
            "when the holder chose anonymity.",
            "properties": {
                "entry": {"type": "integer"},
                "retired_at": {"type": "string"},
                "project": {"type": "string"},
                "quantity_kg": _KG,
                "serials": {"type": "array", "items": {"type": "string"}},
                "beneficiary": {"type": ["string", "null"]},
                "purpose": {"type": "string"},
                "purpose_detail": {"type": ["string", "null"]},
                "delivery": {"enum": ["verified", "projected"]},
            },
        },
        "LedgerEntry": {
            "type": "object",
            "required": ["seq", "kind", "body", "canonical", "leaf_hash"],
            "properties": {
                "seq": {"type": "integer"},
                "kind": {"type": "string"},
                "body": {"type": "object"},
                "canonical": {
                    "type": "string",
                    "description": "the exact canonical JSON that was hashed",
                },
                "leaf_hash": {**_HEX, "description": "SHA-256(0x00 || canonical)"},
            },
        },
        "TreeHead": {
            "type": "object",
            "required": ["tree_size", "timestamp", "root_hash", "kid", "signature"],
            "properties": {
                "tree_size": {"type": "integer"},
                "timestamp": {"type": "integer"},
                "root_hash": _HEX,
                "kid": {"type": "string"},
                "signature": {"type": "string", "description": "Ed25519, hex; see PROTOCOLS.md"},
            },
        },
    }
)

PATHS.update(
    {
        "/api/v1/projects": _get(
            "All public sink projects with counters",
            {
                "type": "object",
                "properties": {
                    "projects": {"type": "array", "items": ref("Project")},
                    "totals": ref("Counters"),
                },
            },
        ),
        "/api/v1/projects/{code}": {
            "get": {
                **_get("One project with its issuances", ref("Project"), errors=(404,))["get"],
                "parameters": [
                    {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
            }
        },
        "/api/v1/registry/retirements": _get(
            "The retirement register, newest first",
            {
                "type": "object",
                "properties": {
                    "retirements": {"type": "array", "items": ref("Retirement")},
                    "next_before": {"type": ["integer", "null"]},
                },
            },
            params=[
                {
                    "name": "q",
                    "in": "query",
                    # No control characters (refused at the edge: webapp/input_guard.py).
                    "schema": {"type": "string", "pattern": "^[^\\x00-\\x1f\\x7f-\\x9f]*$"},
                    "description": "a serial number, or the start of a public name",
                },
                _q("before", "entry number to page before"),
                _q("limit", "page size; larger values give 1000", minimum=1),
            ],
            errors=(400,),
        ),
        "/api/v1/registry/entries": _get(
            "Ledger entries after a position",
            {
                "type": "object",
                "properties": {
                    "tree_size": {"type": "integer"},
                    "entries": {"type": "array", "items": ref("LedgerEntry")},
                    "next_after": {"type": ["integer", "null"]},
                },
            },
            params=[
                _q("after", "return entries with seq > after (-1 for all)", minimum=-1),
                _q("limit", "page size; larger values give 1000", minimum=1),
            ],
            errors=(400,),
        ),
        "/api/v1/registry/serials/{serial}": {
            "get": {
                **_get("Who holds one serial", {"type": "object"}, errors=(400, 404))["get"],
                "parameters": [
                    {
                        "name": "serial",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "pattern": SERIAL_PATTERN},
                    }
                ],
            }
        },
        "/api/v1/registry/tree-head": _get("The current signed tree head", ref("TreeHead")),
        "/api/v1/registry/proofs/inclusion": _get(
            "RFC 6962 inclusion proof of one entry",
            {
                "type": "object",
                "properties": {
                    "seq": {"type": "integer"},
                    "tree_size": {"type": "integer"},
                    "leaf_hash": _HEX,
                    "root_hash": _HEX,
                    "proof": {"type": "array", "items": _HEX},
                },
            },
            params=[
                _q("seq", "entry number", required=True),
                _q("tree_size", "tree size (default: current)", minimum=1),
            ],
            errors=(400, 404),
        ),
        "/api/v1/registry/proofs/consistency": _get(
            "RFC 6962 consistency proof between sizes",
            {
                "type": "object",
                "properties": {
                    "first": {"type": "integer"},
                    "second": {"type": "integer"},
                    "first_root": _HEX,
                    "second_root": _HEX,
                    "proof": {"type": "array", "items": _HEX},
                },
            },
            params=[
                _q("first", "older size", required=True, minimum=1),
                _q("second", "newer size (default: current)", minimum=1),
            ],
            errors=(400, 404),
        ),
    }
)


for _path, _op in {
    "/api/v1/projects": "listProjects",
    "/api/v1/projects/{code}": "getProject",
    "/api/v1/registry/retirements": "listRetirements",
    "/api/v1/registry/entries": "listLedgerEntries",
    "/api/v1/registry/serials/{serial}": "getSerial",
    "/api/v1/registry/tree-head": "getTreeHead",
    "/api/v1/registry/proofs/inclusion": "getInclusionProof",
    "/api/v1/registry/proofs/consistency": "getConsistencyProof",
}.items():
    PATHS[_path]["get"]["operationId"] = _op
