"""OpenAPI fragments for the memorial-site endpoints (see webapp/blueprints/api/sites.py)."""

from __future__ import annotations

from webapp.blueprints.api.openapi import (
    DECIMAL_OUT,
    PATHS,
    SCHEMAS,
    error_response,
    json_body,
    ref,
)

_DEC = {"type": "string", "pattern": DECIMAL_OUT}
_NULLABLE_DEC = {"type": ["string", "null"], "pattern": DECIMAL_OUT}
_NULLABLE_STRING = {"type": ["string", "null"]}
_POINT = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
_STATUSES = ["available", "reserved", "sponsored", "planted", "inspected", "failed", "replanted"]
_SITE_FIELDS = {
    "code": {"type": "string"},
    "name_zh": {"type": "string"},
    "name_en": {"type": "string"},
    "operator_zh": {"type": "string"},
    "operator_en": {"type": "string"},
    "province": {"type": "string", "description": "ISO 3166-2:CN, e.g. CN-SD"},
    "county_zh": {"type": "string"},
    "county_en": {"type": "string"},
    "latitude": _NULLABLE_DEC,
    "longitude": _NULLABLE_DEC,
    "description_zh": {"type": "string"},
    "description_en": {"type": "string"},
    "planting_seasons_zh": {"type": "string"},
    "planting_seasons_en": {"type": "string"},
    "visiting_zh": {"type": "string"},
    "visiting_en": {"type": "string"},
    "plot_count": {"type": "integer", "minimum": 0},
    "available_count": {"type": "integer", "minimum": 0},
    "sponsored_count": {"type": "integer", "minimum": 0},
    "demo": {"type": "boolean", "description": "demonstration content"},
    "url": {"type": "string", "description": "the public site page"},
}

SCHEMAS.update(
    {
        "MemorialSiteSummary": {
            "type": "object",
            "description": "A memorial forest site (碳汇林纪念基地) without its plots.",
            "required": list(_SITE_FIELDS),
            "properties": _SITE_FIELDS,
        },
        "SiteSpecies": {
            "type": "object",
            "description": (
                "A species offered at a site with its expected sequestration rate, taken "
                "from the sourced factor set (`factor_set` / `factor_id`, `source`). The "
                "rate is projected (ex-ante): expected after planting, never measured."
            ),
            "required": [
                "code",
                "name_zh",
                "name_en",
                "projected_t_per_mu_year",
                "delivery",
                "projection_years",
                "factor_set",
                "factor_id",
                "source",
            ],
            "properties": {
                "code": {"type": "string"},
                "name_zh": {"type": "string"},
                "name_en": {"type": "string"},
                "scientific_name": _NULLABLE_STRING,
                "projected_t_per_mu_year": {
                    **_DEC,
                    "description": "tCO2e per mu (亩, 1/15 ha) per year, projected",
                },
                "delivery": {"enum": ["projected"]},
                "projection_years": {"type": "integer", "minimum": 1},
                "factor_set": {"type": "string"},
                "factor_id": {"type": "string"},
                "source": {
                    "type": "string",
                    "description": "the rate's citation: the publication a reader can look up",
                },
                "source_url": _NULLABLE_STRING,
                "verification": {"enum": ["verified", "secondary", "UNVERIFIED"]},
                "planting_seasons_zh": {"type": "string"},
                "planting_seasons_en": {"type": "string"},
            },
        },
        "PlotGeometry": {
            "description": (
                "Metres in the site's local grid (x east, y north): a polygon, or a square "
                "of side `size_m` around `centroid`."
            ),
            "oneOf": [
                {
                    "type": "object",
                    "required": ["type", "points"],
                    "properties": {
                        "type": {"const": "polygon"},
                        "points": {"type": "array", "items": _POINT, "minItems": 3},
                    },
                },
                {
                    "type": "object",
                    "required": ["type", "centroid", "size_m"],
                    "properties": {
                        "type": {"const": "square"},
                        "centroid": {"type": "array", "items": _DEC},
                        "size_m": _DEC,
                    },
                },
            ],
        },
        "Plot": {
            "type": "object",
            "description": (
                "A numbered plot. Only public information: the sponsor appears as the name "
                "they allowed to be shown (null when anonymous), never an e-mail address."
            ),
            "required": [
                "code",
                "status",
                "species",
                "area_mu",
                "tree_count",
                "geometry",
                "price",
                "currency",
                "planted_on",
                "dedication",
                "url",
            ],
            "properties": {
                "code": {"type": "string", "pattern": "^[0-9A-Z-]{1,16}$"},
                "status": {"enum": _STATUSES},
                "species": {"type": "string", "description": "code of a `SiteSpecies`"},
                "area_mu": _NULLABLE_DEC,
                "tree_count": {"type": ["integer", "null"], "minimum": 1},
                "geometry": ref("PlotGeometry"),
                "price": {
                    **_NULLABLE_DEC,
                    "description": "CNY, while the plot is available; null otherwise",
                },
                "currency": {"const": "CNY"},
                "planted_on": {"type": ["string", "null"], "format": "date"},
                "dedication": {
                    "type": ["object", "null"],
                    "properties": {
                        "kind": {
                            "enum": [
                                "memorial",
                                "wedding",
                                "birth",
                                "graduation",
                                "company",
                                "other",
                                None,
                            ]
                        },
                        "message": _NULLABLE_STRING,
                        "sponsor": _NULLABLE_STRING,
                    },
                },
                "url": {"type": "string"},
            },
        },
        "MemorialSite": {
            "allOf": [
                ref("MemorialSiteSummary"),
                {
                    "type": "object",
                    "required": ["boundary", "species", "plots"],
                    "properties": {
                        "boundary": {"type": "array", "items": _POINT},
                        "species": {"type": "array", "items": ref("SiteSpecies")},
                        "plots": {"type": "array", "items": ref("Plot")},
                    },
                },
            ]
        },
        "MemorialSiteList": {
            "type": "object",
            "required": ["sites"],
            "properties": {"sites": {"type": "array", "items": ref("MemorialSiteSummary")}},
        },
    }
)

PATHS.update(
    {
        "/api/v1/sites": {
            "get": {
                "operationId": "listMemorialSites",
                "summary": "Memorial forest sites",
                "tags": ["plots"],
                "responses": {"200": json_body(ref("MemorialSiteList"), "Every site.")},
            }
        },
        "/api/v1/sites/{code}": {
            "get": {
                "operationId": "getMemorialSite",
                "summary": "A memorial forest site with its species and plots",
                "tags": ["plots"],
                "parameters": [
                    {
                        "name": "code",
                        "in": "path",
                        "required": True,
                        "description": "site code, e.g. CLS-JN",
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": json_body(ref("MemorialSite"), "The site."),
                    "404": error_response("No site with this code"),
                },
            }
        },
    }
)
