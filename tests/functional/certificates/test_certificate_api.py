"""Certificate JSON, the signed revocation list (Bitstring Status List) and OpenAPI."""

from __future__ import annotations

import base64
import copy
import gzip

from tests.support.openapi import check_schema
from webapp.extensions import db
from webapp.models import Privacy
from webapp.services import keys
from webapp.services.certificates import issuing, status_list
from webapp.services.certificates.ids import format_public_id
from webapp.services.registry import merkle


def _decode_bits(encoded: str) -> bytes:
    """Decode an encodedList by hand, as an independent checker would."""
    assert encoded.startswith("u")
    text = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def _bit(bits: bytes, index: int) -> int:
    return (bits[index // 8] >> (7 - index % 8)) & 1


def test_certificate_json(client, app, issue_certificate, make_user):
    owner = make_user(email="json-owner@example.cn")
    certificate = issue_certificate(owner=owner, name="Mei Li", privacy=Privacy.INITIALS)
    response = client.get(f"/api/v1/certificates/{certificate.public_id}")
    assert response.status_code == 200
    data = response.get_json()
    assert data["public_id"] == certificate.public_id
    assert data["display_id"] == format_public_id(certificate.public_id)
    assert data["status"] == "valid" and data["kind"] == "offset"
    assert (data["quantity_kg"], data["quantity_t"]) == (2417, "2.417")
    assert data["holder_public"] == "M. L."
    assert data["serials"] == ["TH-TA-CLS-2024-000000001-000002417"]
    assert data["delivery"] == "verified" and data["revocation"] is None
    assert data["token"] == certificate.token and data["key_id"] == certificate.key_id
    assert data["project"]["code"] == "TA-CLS"
    assert data["purpose"] == "household_year" and data["purpose_detail"] == "2025"
    assert data["credentialStatus"]["statusListIndex"] == str(certificate.id)
    assert data["credentialStatus"]["statusListCredential"].endswith(
        "/api/v1/certificates/status-list"
    )
    text = response.get_data(as_text=True)
    assert "json-owner@example.cn" not in text and "Mei Li" not in text
    # The retirement entry is in the signed tree: check the proof and the head ourselves.
    proof, head = data["inclusion_proof"], data["tree_head"]
    assert proof["seq"] == data["retirement"]["entry"]
    assert proof["root_hash"] == head["root_hash"] and proof["tree_size"] == head["tree_size"]
    assert merkle.verify_inclusion(
        bytes.fromhex(proof["leaf_hash"]),
        proof["seq"],
        proof["tree_size"],
        [bytes.fromhex(h) for h in proof["proof"]],
        bytes.fromhex(proof["root_hash"]),
    )
    assert merkle.leaf_hash(data["retirement"]["canonical"].encode()).hex() == proof["leaf_hash"]
    from webapp.services.signing import verify_tree_head

    assert verify_tree_head(keys.signing(app.config)[1], head)
    # Forgiving ids; 404 for unknown ones.
    assert client.get(f"/api/v1/certificates/{data['display_id'].lower()}").status_code == 200
    missing = client.get("/api/v1/certificates/ZZZZZZZZZZ")
    assert missing.status_code == 404 and "error" in missing.get_json()
    # A weak ETag: the same answer is not sent twice.
    again = client.get(
        f"/api/v1/certificates/{certificate.public_id}",
        headers={"If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304


def test_answers_match_the_openapi_document(client, issue_certificate, make_user):
    certificate = issue_certificate()
    issuing.revoke(db.session, issue_certificate(kg=10), reason="test", actor=make_user("admin"))
    db.session.commit()
    doc = client.get("/api/v1/openapi.json").get_json()
    one = doc["paths"]["/api/v1/certificates/{public_id}"]["get"]
    listing = doc["paths"]["/api/v1/certificates/status-list"]["get"]
    assert one["operationId"] == "getCertificate"
    assert listing["operationId"] == "getCertificateStatusList"
    check_schema(
        doc,
        one["responses"]["200"]["content"]["application/json"]["schema"],
        client.get(f"/api/v1/certificates/{certificate.public_id}").get_json(),
    )
    check_schema(
        doc,
        listing["responses"]["200"]["content"]["application/json"]["schema"],
        client.get("/api/v1/certificates/status-list").get_json(),
    )
    check_schema(
        doc,
        one["responses"]["404"]["content"]["application/json"]["schema"],
        client.get("/api/v1/certificates/ZZZZZZZZZZ").get_json(),
    )


def test_status_list_bits_and_signature(client, app, issue_certificate, make_user):
    kept, revoked, child_parent = (
        issue_certificate(),
        issue_certificate(kg=20),
        issue_certificate(kg=30),
    )
    issuing.revoke(db.session, revoked, reason="duplicate", actor=make_user("admin"))
    db.session.commit()
    response = client.get("/api/v1/certificates/status-list")
    assert response.status_code == 200
    assert "max-age=300" in response.headers["Cache-Control"]
    doc = response.get_json()
    subject = doc["credentialSubject"]
    assert doc["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert subject["type"] == "BitstringStatusList" and subject["statusPurpose"] == "revocation"
    assert doc["validFrom"].endswith("Z")
    assert doc["tanhui"]["certificates"] == 3 and doc["tanhui"]["revoked"] == 1
    bits = _decode_bits(subject["encodedList"])
    assert len(bits) * 8 >= 131_072 == doc["tanhui"]["length"]
    assert _bit(bits, revoked.id) == 1
    assert _bit(bits, kept.id) == 0 and _bit(bits, child_parent.id) == 0
    assert sum(bin(b).count("1") for b in bits) == 1
    # The signature verifies with the published keys; any change breaks it.
    _key, keyring = keys.signing(app.config)
    published = client.get("/.well-known/tanhui-keys.json").get_json()
    assert doc["proof"]["kid"] in {k["kid"] for k in published["keys"]}
    assert status_list.verify(doc, keyring)
    tampered = copy.deepcopy(doc)
    tampered["credentialSubject"]["encodedList"] = status_list.encode([], 131_072)
    assert not status_list.verify(tampered, keyring)
    tampered = copy.deepcopy(doc)
    tampered["proof"]["kid"] = "th-aaaaaaaaaaaaaaaa"
    assert not status_list.verify(tampered, keyring)
    # Conditional requests: unchanged list → 304.
    again = client.get(
        "/api/v1/certificates/status-list", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304


def test_status_list_of_an_empty_registry(client, app):
    doc = client.get("/api/v1/certificates/status-list").get_json()
    assert doc["tanhui"] == {"certificates": 0, "revoked": 0, "length": 131_072, "highest_index": 0}
    assert not any(_decode_bits(doc["credentialSubject"]["encodedList"]))
    assert status_list.verify(doc, keys.signing(app.config)[1])
