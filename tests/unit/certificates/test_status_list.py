"""The revocation list's bitstring encoding (W3C Bitstring Status List) and signature."""

from __future__ import annotations

import base64
import copy
import gzip
import hashlib
from datetime import UTC, datetime

import pytest

from webapp.services.certificates import status_list
from webapp.services.signing import Keyring, SigningKey

KEY = SigningKey.from_seed(hashlib.sha256(b"status-list-tests").digest())


def test_bit_zero_is_the_leftmost_bit_of_the_first_byte():
    bits = status_list.bitstring([0, 9, 131_071], 131_072)
    assert len(bits) == 16_384
    assert bits[0] == 0b1000_0000 and bits[1] == 0b0100_0000 and bits[-1] == 0b0000_0001
    assert [i for i in range(131_072) if status_list.is_set(bits, i)] == [0, 9, 131_071]


def test_encoded_list_is_multibase_base64url_gzip_and_round_trips():
    encoded = status_list.encode([5, 77], 131_072)
    assert encoded.startswith("u") and "=" not in encoded and "+" not in encoded
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert raw == status_list.decode(encoded) == status_list.bitstring([5, 77], 131_072)
    # Deterministic (mtime 0): the same list encodes the same way.
    assert status_list.encode([77, 5], 131_072) == encoded


@pytest.mark.parametrize(
    ("highest", "length"), [(0, 131_072), (131_071, 131_072), (131_072, 262_144)]
)
def test_length_grows_in_steps_of_the_minimum(highest, length):
    assert status_list.length_for(highest) == length


def test_decode_refuses_bad_and_oversized_input():
    for bad in ("", "zabc", "u!!!", "u" + base64.urlsafe_b64encode(b"not gzip").decode()):
        with pytest.raises(status_list.StatusListError):
            status_list.decode(bad)
    bomb = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(1 << 20))).decode().rstrip("=")
    with pytest.raises(status_list.StatusListError, match="too large"):
        status_list.decode(bomb, max_bytes=1 << 16)
    truncated = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(4096))[:-12]).decode()
    with pytest.raises(status_list.StatusListError):
        status_list.decode(truncated)
    with pytest.raises(ValueError):
        status_list.bitstring([131_072], 131_072)


def _signed_document() -> dict:
    doc = {
        "id": "https://tanhui.example.cn/api/v1/certificates/status-list",
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"encodedList": status_list.encode([3], 131_072)},
        "proof": {"type": status_list.PROOF_TYPE, "kid": KEY.key_id, "created": "x"},
    }
    doc["proof"]["signature"] = KEY.sign(status_list.signing_input(doc)).hex()
    return doc


def test_signature_covers_everything_but_itself():
    keyring = Keyring(KEY)
    doc = _signed_document()
    assert status_list.verify(doc, keyring)
    assert status_list.signing_input(doc).startswith(b"tanhui-status-list-v1\n{")
    for path, value in [
        (("validFrom",), "2099-01-01T00:00:00Z"),
        (("credentialSubject", "encodedList"), status_list.encode([], 131_072)),
        (("proof", "created"), "y"),
        (("proof", "signature"), "00" * 64),
    ]:
        changed = copy.deepcopy(doc)
        target = changed
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        assert not status_list.verify(changed, keyring), path
    other = SigningKey.from_seed(hashlib.sha256(b"another key").digest())
    assert not status_list.verify(doc, Keyring(other))
    assert not status_list.verify({"proof": "nope"}, keyring)


def test_credential_status_entry():
    entry = status_list.credential_status("https://x/list", 42)
    assert entry == {
        "id": "https://x/list#42",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "42",
        "statusListCredential": "https://x/list",
    }
    assert status_list._iso(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
