"""OpenAPI fragments for monitoring, verification and delivery (issue 18 parts 1-2) and
the refund history of a certificate (issue 21 part 9). Added to the project and
certificate schemas in a block of their own (see webapp/blueprints/api/registry.py and
certificates.py)."""

from __future__ import annotations

from webapp.blueprints.api import certificates_openapi, registry_openapi  # noqa: F401 - first
from webapp.blueprints.api.openapi import SCHEMAS, ref

_KG = {"type": "integer", "minimum": 0, "description": "kilograms CO2 (one serial = 1 kg)"}
_HEX = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
_REVERSAL = {
    "type": "object",
    "properties": {
        "entry": {"type": "integer", "description": "the `reversal` ledger entry"},
        "quantity_kg": _KG,
        "serials": {"type": "array", "items": {"type": "string"}},
    },
}

SCHEMAS.update(
    {
        "MonitoringPeriod": {
            "type": "object",
            "description": "A monitoring period (计量监测) and its verification (核证). A "
            "verification counts once a second administrator approved it (`approved`); "
            "its verified tonnes are then the delivered issuance `issuance`.",
            "required": ["id", "period", "status", "monitoring_report_sha256"],
            "properties": {
                "id": {"type": "integer"},
                "period": {"type": "array", "items": {"type": "string", "format": "date"}},
                "method": {"type": "string"},
                "area_ha": {"type": "string"},
                "status": {"enum": ["recorded", "verification_pending", "verified"]},
                "monitoring_report_sha256": _HEX,
                "verifier": {"type": ["string", "null"]},
                "verified_kg": {"type": ["integer", "null"], "minimum": 1},
                "verification_statement_sha256": {**_HEX, "type": ["string", "null"]},
                "approved": {"type": "boolean"},
                "approved_at": {"type": ["string", "null"], "description": "ISO 8601, local"},
                "issuance": {"type": ["integer", "null"]},
            },
        },
        "ProjectDocument": {
            "type": "object",
            "description": "A public PDF of the project; `sha256` is also in the ledger "
            "(`monitoring` and `verification` entries).",
            "required": ["kind", "sha256", "url"],
            "properties": {
                "kind": {"enum": ["monitoring_report", "verification_statement"]},
                "monitoring_period": {"type": "integer"},
                "sha256": _HEX,
                "bytes": {"type": "integer", "minimum": 1},
                "url": {"type": "string"},
            },
        },
    }
)

SCHEMAS["Project"]["properties"].update(
    {
        "monitoring_periods": {"type": "array", "items": ref("MonitoringPeriod")},
        "documents": {"type": "array", "items": ref("ProjectDocument")},
        "projected_sold_kg": {
            **_KG,
            "description": "projected (ex-ante) serials retired now, in kg",
        },
        "delivered_kg": {
            **_KG,
            "description": "of those, kg settled by delivered (verified) serials",
        },
        "awaiting_delivery_kg": {**_KG, "description": "projected_sold_kg - delivered_kg"},
        "shortfall_kg": {
            **_KG,
            "description": "projected kg retired before the latest approved verification "
            "and still not settled (see docs/METHODOLOGY.md, delivery)",
        },
    }
)

SCHEMAS["Certificate"]["properties"].update(
    {
        "delivered": {
            "type": ["object", "null"],
            "description": "projected tonnes settled by delivered serials (交付); null "
            "until then. The certificate stays valid.",
            "properties": {
                "delivered_on": {"type": "string", "format": "date"},
                "serials": {"type": "array", "items": {"type": "string"}},
                "entry": {"type": ["integer", "null"], "description": "the `delivery` entry"},
            },
        },
        "reversals": {
            "type": "array",
            "items": _REVERSAL,
            "description": "refunds of this retirement: the serials each returned",
        },
        "earlier_reversals": {
            "type": "array",
            "items": _REVERSAL,
            "description": "earlier refunds that returned serials this certificate holds "
            "(they were sold again)",
        },
    }
)
