"""The scanner's browser crypto (static/scan/crypto.js) agrees with the Python reference.

Runs the ES module in Node (installed by `make setup` for the front-end build), whose
WebCrypto has Ed25519 like Chromium's: tokens, canonical JSON signatures, status lists.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from webapp.services.certificates import status_list
from webapp.services.certificates.token import qr_text
from webapp.services.registry.canonical import canonical_bytes
from webapp.services.scan import pack
from webapp.services.signing import Keyring, SigningKey, well_known_document

ROOT = Path(__file__).resolve().parents[3]
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is installed by `make setup`")

# docs/PROTOCOLS.md §9.5: the worked example key and token.
EXAMPLE_SEED = hashlib.sha256(b"tanhui protocol example key").digest()
EXAMPLE_TOKEN = (
    "1O20162FOQ2417000.TSSMB3GVQJMVJGBEREEDSQLQ5NX67BSWYBM7WTQTIVBJYD7J3XXMBQVIHN3VVRQ74D3IJOC2"
    "K3AIMTE4LXIJQR5OLOWWX7LXH7VJ2DY"
)

SCRIPT = """
import * as c from %(module)s;
const input = JSON.parse(process.argv[1]);
const out = {};
const parsed = c.parseCertificateText(input.url);
out.parsed = parsed && {publicId: parsed.publicId, kind: parsed.kind, issuedOn: parsed.issuedOn,
                        quantityKg: parsed.quantityKg, tag: parsed.tag};
out.valid = await c.verifyCertificate(parsed, input.keys);
out.tampered = await c.verifyCertificate(c.parseCertificateText(input.tampered), input.keys);
out.badPadding = c.parseCertificateText(input.badPadding) === null
  ? null : await c.verifyCertificate(c.parseCertificateText(input.badPadding), input.keys);
out.canonical = c.canonical(input.doc);
out.docValid = await c.verifySignedDocument(input.doc, "tanhui-scan-pack-v1", input.keys);
input.doc.sites[0].name_zh += "!";
out.docAltered = await c.verifySignedDocument(input.doc, "tanhui-scan-pack-v1", input.keys);
out.listValid = await c.verifySignedDocument(input.list, "tanhui-status-list-v1", input.keys);
const bits = await c.decodeStatusList(input.list.credentialSubject.encodedList);
out.revoked = input.indexes.map((i) => c.isRevoked(bits, i));
out.plaque = c.parsePlaqueText(input.plaque);
console.log(JSON.stringify(out));
"""


def _run(payload: dict) -> dict:
    module = json.dumps((ROOT / "static" / "scan" / "crypto.js").as_uri())
    result = subprocess.run(
        [NODE, "--input-type=module", "-e", SCRIPT % {"module": module}, json.dumps(payload)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def test_browser_checks_agree_with_the_python_reference():
    key = SigningKey.from_seed(EXAMPLE_SEED)
    keyring = Keyring(key)
    keys = well_known_document(keyring)
    url = qr_text("https://tanhui.example.cn", "7K3MPQ9XRT", EXAMPLE_TOKEN)
    # The last signature character carries 3 unused bits; "DY" → "DZ" sets one of them.
    bad_padding = url[:-1] + "Z"
    doc = {
        "format": pack.PACK_FORMAT,
        "sites": [{"code": "CLS-JN", "name_zh": '徂徕山 "碳汇"\n林', "is_demo": False}],
        "certificates": {"7K3MPQ9XRT": {"index": 9, "holder_public": None, "plot": "A-01"}},
        "max_age_hours": 72,
        "proof": {"type": pack.PACK_FORMAT, "kid": key.key_id, "created": "2026-12-01T00:00:00Z"},
    }
    doc["proof"]["signature"] = key.sign(pack.signing_input(doc)).hex()
    assert pack.verify(doc, keyring)
    listing = {
        "credentialSubject": {"encodedList": status_list.encode([3, 9, 131071], 131072)},
        "proof": {"type": status_list.PROOF_TYPE, "kid": key.key_id},
    }
    listing["proof"]["signature"] = key.sign(status_list.signing_input(listing)).hex()

    out = _run(
        {
            "url": url,
            "tampered": url.replace("2417000", "2417001"),
            "badPadding": bad_padding,
            "keys": keys,
            "doc": doc,
            "list": listing,
            "indexes": [0, 3, 9, 10, 131071, 999999],
            "plaque": "https://tanhui.example.cn/p/cls-jn/a-01",
        }
    )
    assert out["parsed"] == {
        "publicId": "7K3MPQ9XRT",
        "kind": "offset",
        "issuedOn": "2025-03-15",
        "quantityKg": 2417000,
        "tag": "FOQ",
    }
    assert out["valid"] is True
    assert out["tampered"] is False
    assert out["badPadding"] in (None, False)  # a non-canonical signature is refused
    assert out["canonical"] == canonical_bytes(doc).decode()
    assert out["docValid"] is True
    assert out["docAltered"] is False
    assert out["listValid"] is True
    assert out["revoked"] == [False, True, True, False, True, False]
    assert out["plaque"] == {"site": "CLS-JN", "plot": "A-01"}
