"""The OpenAPI 3.1 document of the JSON API, served at ``GET /api/v1/openapi.json``.

The document is assembled from fragments: each API module adds its operations to
:data:`PATHS` (keyed by the full path as served, with ``{name}`` parameters, e.g.
``"/api/v1/factor-sets/{version}"``) and its schemas to :data:`SCHEMAS` (referenced as
``#/components/schemas/<Name>``).  A test checks that every API rule appears here, that
every operation has responses and that every ``$ref`` resolves, so the document stays true
as the API grows::

    from webapp.blueprints.api import openapi

    openapi.PATHS.update({"/api/v1/things": {"get": {..., "responses": {...}}}})
    openapi.SCHEMAS.update({"Thing": {"type": "object", ...}})
"""

from __future__ import annotations

from typing import Any

from flask import jsonify

from webapp.blueprints.api import bp

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1"

PATHS: dict[str, dict[str, Any]] = {}
SCHEMAS: dict[str, dict[str, Any]] = {}

# A decimal written as text: digits, optional sign and decimal point, no exponent.
DECIMAL_TEXT = r"^[+-]?(\d+(\.\d*)?|\.\d+)$"
# A decimal as the API writes it: plain positional notation, never exponent form.
DECIMAL_OUT = r"^-?\d+(\.\d+)?$"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_body(schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema, **extra}},
    }


def error_response(description: str) -> dict[str, Any]:
    return json_body(ref("Error"), description)


SCHEMAS.update(
    {
        "Error": {
            "type": "object",
            "description": "Every error answer of the API.",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["status", "title", "message"],
                    "properties": {
                        "status": {"type": "integer", "description": "the HTTP status"},
                        "title": {"type": "string"},
                        "message": {"type": "string"},
                        "fields": {
                            "type": "object",
                            "description": (
                                "Per-field messages keyed by the path of the field, e.g. "
                                '"cars[0].km" or "flights[1].from"; "_root" for the body '
                                "as a whole."
                            ),
                            "additionalProperties": {"type": "string"},
                        },
                    },
                }
            },
        },
        "ApiIndex": {
            "type": "object",
            "required": ["name", "version"],
            "properties": {"name": {"type": "string"}, "version": {"type": "string"}},
        },
    }
)

PATHS.update(
    {
        "/api/v1/": {
            "get": {
                "operationId": "apiIndex",
                "summary": "Name and version of the API",
                "tags": ["meta"],
                "responses": {"200": json_body(ref("ApiIndex"), "The API's name and version.")},
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "openapiDocument",
                "summary": "This OpenAPI document",
                "tags": ["meta"],
                "responses": {
                    "200": json_body({"type": "object"}, "The OpenAPI 3.1 document of the API.")
                },
            }
        },
    }
)


def document() -> dict[str, Any]:
    """The whole document, as a plain JSON-serialisable dict."""
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Tanhui 碳汇 API",
            "version": API_VERSION,
            "summary": "Carbon footprints and local forestry carbon sinks.",
            "description": (
                "Stateless JSON API. Decimal quantities may be sent as JSON numbers or as "
                "decimal strings; every decimal in an answer is a string in plain positional "
                "notation, so it round-trips exactly. Error messages follow the "
                "Accept-Language header (zh or en) where the operation says so, and are "
                "Chinese by default."
            ),
        },
        "paths": dict(sorted(PATHS.items())),
        "components": {"schemas": dict(sorted(SCHEMAS.items()))},
    }


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(document())
