"""The worked example in docs/PROTOCOLS.md must be exactly what the code produces."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

from webapp.services.certificates.token import (
    CertificateKind,
    TokenClaims,
    claims_string,
    encode_token,
    qr_text,
    signed_message,
    verify_token,
)
from webapp.services.registry.canonical import canonical_bytes, entry_hash
from webapp.services.registry.merkle import (
    MerkleTree,
    node_hash,
    verify_consistency,
    verify_inclusion,
)
from webapp.services.signing import (
    Keyring,
    SigningKey,
    sign_tree_head,
    tree_head_message,
    verify_tree_head,
    well_known_document,
)

DOC = Path(__file__).resolve().parents[3] / "docs" / "PROTOCOLS.md"
EXAMPLE_SEED = hashlib.sha256(b"tanhui protocol example key").digest()
TIMESTAMP_MS = 1742000000000
BASE_URL = "https://tanhui.example.cn"


def _json(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def build_example() -> dict[str, str]:
    """Every value quoted in the worked example, by name."""
    key = SigningKey.from_seed(EXAMPLE_SEED)
    ring = Keyring(key)
    entries = [
        {
            "seq": i,
            "type": "retire",
            "serial": f"TH-CLS-2025-{i + 1:06d}",
            "quantity_kg": 1000 + i,
            "memo": "徂徕山碳汇林",
        }
        for i in range(5)
    ]
    leaves = [entry_hash(e) for e in entries]
    tree = MerkleTree(leaves)
    inclusion = tree.inclusion_proof(2, 5)
    consistency = tree.consistency_proof(3, 5)
    assert verify_inclusion(leaves[2], 2, 5, inclusion, tree.root(5))
    assert verify_consistency(3, 5, tree.root(3), tree.root(5), consistency)

    sth = sign_tree_head(key, 5, tree.root(5), TIMESTAMP_MS)
    assert verify_tree_head(ring, sth)

    claims = TokenClaims(
        public_id="7K3MPQ9XRT",
        kind=CertificateKind.OFFSET,
        issued_on=date(2025, 3, 15),
        quantity_kg=2_417_000,
    )
    token = encode_token(key, claims)
    assert verify_token(ring, token, public_id=claims.public_id).key_id == key.key_id
    body = claims_string(claims, key.tag)
    message = signed_message(claims.public_id, body)
    qr = qr_text(BASE_URL, claims.public_id, token)

    values = {
        "seed": EXAMPLE_SEED.hex(),
        "public_key": key.verifying_key.raw.hex(),
        "kid": key.key_id,
        "tag": key.tag,
        "key_document": _json(well_known_document(ring)),
        "entry0_json": _json(entries[0]),
        "entry0_canonical": canonical_bytes(entries[0]).decode("utf-8"),
        "entry0_canonical_hex": canonical_bytes(entries[0]).hex(),
        "node01": node_hash(leaves[0], leaves[1]).hex(),
        "node23": node_hash(leaves[2], leaves[3]).hex(),
        "root3": tree.root(3).hex(),
        "root4": tree.root(4).hex(),
        "root5": tree.root(5).hex(),
        "sth_message": tree_head_message(key.key_id, 5, tree.root(5), TIMESTAMP_MS).decode(),
        "sth": _json(sth),
        "claims": body,
        "cert_message": message.decode("ascii"),
        "cert_signature_hex": key.sign(message).hex(),
        "token": token,
        "qr": qr,
        "qr_length": f"{len(qr)} characters",
    }
    for i, leaf in enumerate(leaves):
        values[f"leaf{i}"] = leaf.hex()
    for i, node in enumerate(inclusion):
        values[f"inclusion{i}"] = node.hex()
    for i, node in enumerate(consistency):
        values[f"consistency{i}"] = node.hex()
    return values


def test_worked_example_matches_code() -> None:
    doc = DOC.read_text(encoding="utf-8")
    missing = [name for name, value in build_example().items() if value not in doc]
    assert not missing, f"docs/PROTOCOLS.md is out of date for: {missing}"
