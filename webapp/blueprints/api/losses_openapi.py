"""OpenAPI fragments of the buffer pool and losses (issue 18): the two registry endpoints,
and the fields they add to projects, issuances and certificates."""

from __future__ import annotations

# The schemas this module extends are defined there: imported first, whatever the order.
from webapp.blueprints.api import certificates_openapi, registry_openapi  # noqa: F401
from webapp.blueprints.api.openapi import PATHS, SCHEMAS, json_body, ref

_KG = {"type": "integer", "minimum": 0, "description": "kilograms CO2 (one serial = 1 kg)"}
_NEW_COUNTERS = ("buffer_held_kg", "buffer_used_kg", "cancelled_kg")
_INVARIANT = (
    " issued_kg = available_kg + reserved_kg + retired_kg + buffer_held_kg + "
    "buffer_used_kg + cancelled_kg, always (available_kg: every unsold kg of an issued "
    "issuance, on sale or not)."
)

for _name in ("Counters", "Project", "Issuance"):
    _schema = SCHEMAS[_name]
    _schema.setdefault("properties", {}).update(
        {
            "buffer_held_kg": {**_KG, "description": "withheld in the buffer pool (缓冲池)"},
            "buffer_used_kg": {**_KG, "description": "buffer serials cancelled for losses"},
            "cancelled_kg": {**_KG, "description": "unsold serials cancelled for losses"},
        }
    )
    if _name != "Issuance":
        _schema["required"] = [*_schema.get("required", []), *_NEW_COUNTERS]
    _schema["description"] = (_schema.get("description") or "") + _INVARIANT
SCHEMAS["Project"]["properties"]["risk_rating"] = {
    "enum": ["low", "medium", "high", "external"],
    "description": "non-permanence risk rating; sets the buffer share",
}
SCHEMAS["Project"]["properties"]["buffer_percent"] = {"type": "integer", "minimum": 0}
SCHEMAS["Project"]["properties"]["sales_stopped"] = {
    "type": "boolean",
    "description": "a confirmed loss the buffer could not cover stops sales until resolved",
}

_LOSS_PROPERTIES = {
    "ref": {"type": "string", "pattern": "^L-[0-9]{5,}$"},
    "cause": {"enum": ["fire", "pests", "felling", "storm", "drought"]},
    "occurred_on": {"type": "string", "format": "date"},
    "area_ha": {"type": "string"},
    "estimated_kg": _KG,
    "buffer_kg": {**_KG, "description": "covered by cancelling buffer serials"},
    "stock_kg": {**_KG, "description": "covered by cancelling unsold serials"},
    "uncovered_kg": {**_KG, "description": "neither the buffer nor unsold stock covered"},
    "sales_stopped": {"type": "boolean"},
    "ledger_entry": {"type": ["integer", "null"], "description": "the cancellation entry"},
}

SCHEMAS.update(
    {
        "Loss": {
            "type": "object",
            "description": "A confirmed loss of carbon (碳流失) and how it was covered.",
            "required": list(_LOSS_PROPERTIES),
            "properties": {
                **_LOSS_PROPERTIES,
                "project": {"type": "string"},
                "status": {"enum": ["confirmed", "resolved"]},
                "confirmed_at": {"type": ["string", "null"]},
                "resolved_at": {"type": ["string", "null"]},
                "resolution": {"type": ["string", "null"]},
                "photos": {"type": "array", "items": {"type": "string"}},
            },
        },
        "ProjectLoss": {
            "type": "object",
            "description": "A confirmed loss of the project a certificate rests on.",
            "required": list(_LOSS_PROPERTIES),
            "properties": {
                **_LOSS_PROPERTIES,
                "resolved": {"type": "boolean"},
                "resolution": {"type": ["string", "null"]},
            },
        },
        "BufferPool": {
            "type": "object",
            "required": ["project", "withheld_kg", "used_kg", "held_kg"],
            "properties": {
                "project": {"type": "string"},
                "name_zh": {"type": "string"},
                "name_en": {"type": "string"},
                "risk_rating": {"enum": ["low", "medium", "high", "external"]},
                "buffer_percent": {"type": "integer", "minimum": 0},
                "withheld_kg": {**_KG, "description": "ever withheld (held + used)"},
                "used_kg": {**_KG, "description": "cancelled for losses"},
                "held_kg": {**_KG, "description": "held now"},
            },
        },
    }
)
SCHEMAS["Certificate"]["properties"]["project_losses"] = {
    "type": "array",
    "description": "confirmed losses of the project the certificate rests on, and their cover",
    "items": ref("ProjectLoss"),
}

PATHS.update(
    {
        "/api/v1/registry/buffer": {
            "get": {
                "summary": "The buffer pool per project: withheld, used, held",
                "operationId": "getBufferPool",
                "tags": ["registry"],
                "responses": {
                    "200": json_body(
                        {
                            "type": "object",
                            "properties": {
                                "projects": {"type": "array", "items": ref("BufferPool")},
                                "totals": {"type": "object"},
                            },
                        },
                        "The buffer pool per project",
                    )
                },
            }
        },
        "/api/v1/registry/losses": {
            "get": {
                "summary": "The public loss register, newest first",
                "operationId": "listLosses",
                "tags": ["registry"],
                "responses": {
                    "200": json_body(
                        {
                            "type": "object",
                            "properties": {"losses": {"type": "array", "items": ref("Loss")}},
                        },
                        "The public loss register",
                    )
                },
            }
        },
    }
)
