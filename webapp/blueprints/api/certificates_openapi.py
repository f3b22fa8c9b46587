"""OpenAPI fragments for the certificate endpoints (see webapp/blueprints/api/certificates.py)."""

from __future__ import annotations

from webapp.blueprints.api.openapi import PATHS, SCHEMAS, error_response, json_body, ref

_HEX = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
_NULLABLE_STRING = {"type": ["string", "null"]}

SCHEMAS.update(
    {
        "Certificate": {
            "type": "object",
            "description": (
                "A certificate as anyone may see it. The holder appears only as "
                "`holder_public`, the name as the holder allowed it to be shown (null: "
                "anonymous). `retirement`, `inclusion_proof` and `tree_head` prove that the "
                "retirement behind the certificate is in the signed public ledger (RFC 6962); "
                "`credentialStatus` points to its bit in the revocation list."
            ),
            "required": [
                "public_id",
                "status",
                "kind",
                "issued_on",
                "holder_public",
                "serials",
                "token",
                "key_id",
                "revocation",
                "credentialStatus",
            ],
            "properties": {
                "public_id": {"type": "string", "pattern": "^[2-9A-HJKMNP-Z]{10}$"},
                "display_id": {"type": "string", "description": "XXXXX-XXXXX"},
                "status": {"enum": ["valid", "revoked"]},
                "kind": {"enum": ["offset", "plot", "event"]},
                "quantity_kg": {"type": ["integer", "null"], "minimum": 1},
                "quantity_t": {
                    "type": ["string", "null"],
                    "pattern": r"^\d+(\.\d+)?$",
                    "description": "tonnes CO2e as a decimal string",
                },
                "plot_code": _NULLABLE_STRING,
                "site_code": _NULLABLE_STRING,
                "issued_on": {"type": "string", "format": "date"},
                "holder_public": _NULLABLE_STRING,
                "project": {
                    "type": ["object", "null"],
                    "properties": {
                        "code": {"type": "string"},
                        "name_zh": {"type": "string"},
                        "name_en": {"type": "string"},
                        "demo": {"type": "boolean"},
                        "url": {"type": "string"},
                    },
                },
                "purpose": _NULLABLE_STRING,
                "purpose_detail": _NULLABLE_STRING,
                "delivery": {
                    "enum": ["verified", "projected", None],
                    "description": "verified: delivered tonnes; projected: ex-ante, expected "
                    "in `expected_years`",
                },
                "expected_years": _NULLABLE_STRING,
                "serials": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "TH-<project>-<vintage>-<first>-<last>; one serial = 1 kg",
                },
                "share_of": {
                    "type": ["string", "null"],
                    "description": "public id of the certificate this personal share is from",
                },
                "revocation": {
                    "type": ["object", "null"],
                    "properties": {
                        "revoked_at": {"type": "string"},
                        "reason": _NULLABLE_STRING,
                    },
                },
                "token": {
                    "type": "string",
                    "description": "the signed token printed in the QR code (PROTOCOLS.md §8)",
                },
                "key_id": {"type": "string"},
                "qr_text": {"type": "string"},
                "verify_url": {"type": "string"},
                "retirement": {
                    "type": ["object", "null"],
                    "properties": {
                        "entry": {"type": "integer"},
                        "kind": {"type": "string"},
                        "canonical": {"type": "string"},
                        "leaf_hash": _HEX,
                    },
                },
                "inclusion_proof": {
                    "type": ["object", "null"],
                    "properties": {
                        "seq": {"type": "integer"},
                        "tree_size": {"type": "integer"},
                        "leaf_hash": _HEX,
                        "root_hash": _HEX,
                        "proof": {"type": "array", "items": _HEX},
                    },
                },
                "tree_head": {"anyOf": [ref("TreeHead"), {"type": "null"}]},
                "credentialStatus": {
                    "type": "object",
                    "required": [
                        "type",
                        "statusPurpose",
                        "statusListIndex",
                        "statusListCredential",
                    ],
                    "properties": {
                        "id": {"type": "string"},
                        "type": {"const": "BitstringStatusListEntry"},
                        "statusPurpose": {"const": "revocation"},
                        "statusListIndex": {"type": "string", "pattern": r"^\d+$"},
                        "statusListCredential": {"type": "string"},
                    },
                },
            },
        },
        "CertificateStatusList": {
            "type": "object",
            "description": (
                "The revocation list as a W3C Bitstring Status List: bit i of the "
                "GZIP-compressed, multibase base64url (prefix `u`) `encodedList` is set when "
                "the certificate whose `statusListIndex` is i is revoked (bit 0 = most "
                "significant bit of the first byte; at least 131,072 bits). `proof.signature` "
                "is an Ed25519 signature (hex) by the key `proof.kid` "
                "(/.well-known/tanhui-keys.json) over the bytes "
                '"tanhui-status-list-v1\\n" followed by the canonical JSON (sorted keys, no '
                "whitespace) of the whole document without `proof.signature`."
            ),
            "required": [
                "@context",
                "id",
                "type",
                "issuer",
                "validFrom",
                "credentialSubject",
                "proof",
            ],
            "properties": {
                "@context": {"type": "array", "items": {"type": "string"}},
                "id": {"type": "string"},
                "type": {"type": "array", "items": {"type": "string"}},
                "issuer": {"type": "string"},
                "validFrom": {"type": "string", "description": "when the list was generated"},
                "credentialSubject": {
                    "type": "object",
                    "required": ["type", "statusPurpose", "encodedList"],
                    "properties": {
                        "id": {"type": "string"},
                        "type": {"const": "BitstringStatusList"},
                        "statusPurpose": {"const": "revocation"},
                        "encodedList": {"type": "string", "pattern": "^u[A-Za-z0-9_-]+$"},
                        "ttl": {"type": "integer", "description": "cache for this many ms"},
                    },
                },
                "tanhui": {
                    "type": "object",
                    "properties": {
                        "certificates": {"type": "integer", "description": "issued so far"},
                        "revoked": {"type": "integer"},
                        "length": {"type": "integer", "description": "bits in the list"},
                        "highest_index": {"type": "integer"},
                    },
                },
                "proof": {
                    "type": "object",
                    "required": ["type", "kid", "created", "signature"],
                    "properties": {
                        "type": {"const": "TanhuiEd25519Signature2026"},
                        "kid": {"type": "string"},
                        "created": {"type": "string"},
                        "keys": {"type": "string"},
                        "signature": {"type": "string", "pattern": "^[0-9a-f]{128}$"},
                    },
                },
            },
        },
    }
)

PATHS.update(
    {
        "/api/v1/certificates/{public_id}": {
            "get": {
                "operationId": "getCertificate",
                "summary": "One certificate: status, coverage, token and ledger proof",
                "tags": ["certificates"],
                "parameters": [
                    {
                        "name": "public_id",
                        "in": "path",
                        "required": True,
                        "description": "the certificate number; any case, hyphens allowed",
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": json_body(ref("Certificate"), "The certificate."),
                    "304": {"description": "Not modified (weak ETag)."},
                    "404": error_response("No such certificate"),
                },
            }
        },
        "/api/v1/certificates/status-list": {
            "get": {
                "operationId": "getCertificateStatusList",
                "summary": "The signed revocation list (W3C Bitstring Status List)",
                "tags": ["certificates"],
                "responses": {
                    "200": json_body(
                        ref("CertificateStatusList"),
                        "The list; cache it for `credentialSubject.ttl` ms.",
                    ),
                    "304": {"description": "Not modified (weak ETag)."},
                },
            }
        },
    }
)
