"""OpenAPI fragments for the planting-day and duty-certificate endpoints (see
webapp/blueprints/api/planting.py)."""

from __future__ import annotations

from webapp.blueprints.api.openapi import PATHS, SCHEMAS, error_response, json_body, ref

_DAY_FIELDS = {
    "code": {"type": "string", "pattern": "^PD[0-9A-Z]{6}$"},
    "site": {"type": "string", "description": "the memorial site's code"},
    "site_name_zh": {"type": "string"},
    "site_name_en": {"type": "string"},
    "date": {"type": "string", "format": "date", "description": "local date (Asia/Shanghai)"},
    "starts_at": {"type": "string", "format": "date-time"},
    "ends_at": {"type": "string", "format": "date-time"},
    "status": {"enum": ["scheduled", "cancelled"]},
    "capacity": {"type": "integer", "minimum": 1, "description": "places (people)"},
    "registered": {"type": "integer", "minimum": 0, "description": "places taken"},
    "places_left": {"type": "integer", "minimum": 0},
    "trees": {"type": "integer", "minimum": 1, "description": "trees available to plant"},
    "trees_planted": {"type": "integer", "minimum": 0, "description": "recorded at check-in"},
    "plots": {"type": "array", "items": {"type": "string"}, "description": "plot codes"},
    "demo": {"type": "boolean", "description": "demonstration content"},
    "url": {"type": "string", "description": "the public page of the day"},
}

SCHEMAS.update(
    {
        "PlantingDaySummary": {
            "type": "object",
            "description": "A voluntary tree-planting day (植树日) at a memorial site.",
            "required": list(_DAY_FIELDS),
            "properties": _DAY_FIELDS,
        },
        "PlantingDay": {
            "allOf": [
                ref("PlantingDaySummary"),
                {
                    "type": "object",
                    "required": ["meeting_point", "what_to_bring", "safety_notes", "results"],
                    "properties": {
                        "meeting_point": {"type": "string"},
                        "what_to_bring": {"type": "string"},
                        "safety_notes": {"type": "string"},
                        "results": {
                            "type": "object",
                            "description": (
                                "What was planted (empty before the day). Planters appear "
                                "only as they chose; children never."
                            ),
                            "required": ["attended", "trees_planted", "plots", "planters_public"],
                            "properties": {
                                "attended": {"type": "integer", "minimum": 0},
                                "trees_planted": {"type": "integer", "minimum": 0},
                                "plots": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "required": ["plot", "trees", "survival"],
                                        "properties": {
                                            "plot": {"type": "string"},
                                            "trees": {"type": "integer", "minimum": 1},
                                            "survival": {
                                                "type": ["object", "null"],
                                                "properties": {
                                                    "alive": {"type": "integer"},
                                                    "on": {"type": "string", "format": "date"},
                                                },
                                            },
                                        },
                                    },
                                },
                                "planters_public": {
                                    "type": "array",
                                    "items": {"type": "string"},
                                },
                            },
                        },
                    },
                },
            ]
        },
        "DutyCertificate": {
            "type": "object",
            "description": (
                "A tree-planting duty certificate (义务植树尽责证明): the year's figures as "
                "they stood when it was issued, and whether it still stands. A record of "
                "duty, not a carbon offset. Read from the registry on every request."
            ),
            "required": [
                "public_id",
                "year",
                "trees_total",
                "trees_planted",
                "trees_converted",
                "holder_public",
                "issued_on",
                "status",
                "revocation",
            ],
            "properties": {
                "public_id": {"type": "string", "pattern": "^[0-9A-Z]{10}$"},
                "year": {"type": "integer", "minimum": 2000, "maximum": 2999},
                "trees_total": {"type": "integer", "minimum": 0},
                "trees_planted": {"type": "integer", "minimum": 0},
                "trees_converted": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "sponsorships and volunteering converted into trees",
                },
                "holder_public": {"type": "string", "description": "the holder's initials"},
                "issued_on": {"type": "string", "format": "date", "description": "local date"},
                "status": {"enum": ["valid", "revoked"]},
                "revocation": {
                    "type": ["object", "null"],
                    "description": "null while it stands",
                    "required": [
                        "revoked_on",
                        "revoked_at",
                        "reason",
                        "reason_text_zh",
                        "reason_text_en",
                    ],
                    "properties": {
                        "revoked_on": {
                            "type": "string",
                            "format": "date",
                            "description": "local date (Asia/Shanghai)",
                        },
                        "revoked_at": {
                            "type": "string",
                            "format": "date-time",
                            "description": "local time with its offset",
                        },
                        "reason": {
                            "enum": ["staff", "refunded"],
                            "description": (
                                "staff: a staff decision (their note is in the texts); "
                                "refunded: a payment counted on it was refunded"
                            ),
                        },
                        "reason_text_zh": {"type": "string"},
                        "reason_text_en": {"type": "string"},
                    },
                },
            },
        },
        "PlantingDayList": {
            "type": "object",
            "required": ["planting_days"],
            "properties": {"planting_days": {"type": "array", "items": ref("PlantingDaySummary")}},
        },
    }
)

PATHS.update(
    {
        "/api/v1/planting-days": {
            "get": {
                "operationId": "listPlantingDays",
                "summary": "Planting days: upcoming first, then the past ones",
                "tags": ["planting"],
                "responses": {"200": json_body(ref("PlantingDayList"), "The planting days.")},
            }
        },
        "/api/v1/duty-certificates/{public_id}": {
            "get": {
                "operationId": "getDutyCertificate",
                "summary": "One tree-planting duty certificate: its figures and whether it stands",
                "tags": ["planting"],
                "parameters": [
                    {
                        "name": "public_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": json_body(ref("DutyCertificate"), "The duty certificate."),
                    "404": error_response("No duty certificate has this number."),
                },
            }
        },
        "/api/v1/planting-days/{code}": {
            "get": {
                "operationId": "getPlantingDay",
                "summary": "One planting day with its results",
                "tags": ["planting"],
                "parameters": [
                    {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": json_body(ref("PlantingDay"), "The planting day."),
                    "404": error_response("No planting day has this code."),
                },
            }
        },
    }
)
