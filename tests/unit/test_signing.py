"""Ed25519 keys, key files, keyrings, the key document and signed tree heads."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from webapp.services.signing import (
    Keyring,
    SigningKey,
    VerifyingKey,
    b64url_decode,
    b64url_encode,
    key_id_for,
    load_or_create_key_file,
    load_public_key,
    load_signing_key,
    sign_tree_head,
    tree_head_message,
    verify_tree_head,
    well_known_document,
)

# RFC 8032 §7.1 TEST 1; the same key is the RFC 8037 Appendix A example.
RFC_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC_SIGNATURE = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)
RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC8037_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"

ROOT = hashlib.sha256(b"root").digest()


def seeded(label: str) -> SigningKey:
    return SigningKey.from_seed(hashlib.sha256(label.encode()).digest())


def test_rfc8032_and_rfc8037_vectors() -> None:
    key = SigningKey.from_seed(RFC_SEED)
    assert key.verifying_key.raw == RFC_PUBLIC
    assert key.sign(b"") == RFC_SIGNATURE
    jwk = key.public_jwk()
    assert jwk["x"] == RFC8037_X
    assert b64url_decode(RFC8037_D) == RFC_SEED
    # RFC 8037 A.4: JWS over the protected header {"alg":"EdDSA"} and "Example of Ed25519 signing".
    signing_input = b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
    assert b64url_encode(key.sign(signing_input)) == (
        "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
    )


def test_key_id_format() -> None:
    key = SigningKey.from_seed(RFC_SEED)
    digest = hashlib.sha256(RFC_PUBLIC).digest()[:10]
    assert key.key_id == "th-" + base64.b32encode(digest).decode().lower()
    assert re.fullmatch(r"th-[a-z2-7]{16}", key.key_id)
    assert key.tag == key.key_id[3:6].upper()
    assert key_id_for(RFC_PUBLIC) == key.key_id


def test_jwk_shape_and_round_trip() -> None:
    key = seeded("jwk")
    jwk = key.public_jwk()
    assert jwk == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64url_encode(key.verifying_key.raw),
        "kid": key.key_id,
        "alg": "EdDSA",
        "use": "sig",
    }
    assert VerifyingKey.from_jwk(jwk) == key.verifying_key
    assert VerifyingKey.from_jwk({k: v for k, v in jwk.items() if k != "kid"}) == key.verifying_key


@pytest.mark.parametrize(
    "change",
    [
        {"kty": "EC"},
        {"crv": "Ed448"},
        {"kid": "th-aaaaaaaaaaaaaaaa"},
        {"x": "not base64!"},
        {"x": b64url_encode(b"short")},
        {"x": RFC8037_X + "A"},
        {"d": RFC8037_D},
    ],
)
def test_jwk_rejects(change: dict[str, str]) -> None:
    jwk = {**SigningKey.from_seed(RFC_SEED).public_jwk(), **change}
    with pytest.raises(ValueError):
        VerifyingKey.from_jwk(jwk)


def test_repr_hides_secret() -> None:
    key = SigningKey.from_seed(RFC_SEED)
    assert repr(key) == f"SigningKey(key_id={key.key_id!r})"
    assert RFC_SEED.hex() not in repr(key)


def test_load_signing_key_formats() -> None:
    key = SigningKey.from_seed(RFC_SEED)
    pem = key.private_pem()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    env_style = pem.decode().strip().replace("\n", "\\n")
    for form in (
        pem,
        pem.decode(),
        env_style,
        RFC_SEED,
        RFC_SEED.hex(),
        RFC_SEED.hex().upper().encode(),
        base64.b64encode(RFC_SEED).decode(),
        b64url_encode(RFC_SEED),
        f"  {RFC_SEED.hex()}\n",
    ):
        assert load_signing_key(form).key_id == key.key_id, form


def test_load_signing_key_rejects() -> None:
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = SigningKey.from_seed(RFC_SEED).verifying_key.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for bad in (ec_pem, public_pem, b"", b"x" * 31, "zz" * 32, b"-----BEGIN PRIVATE KEY-----\n"):
        with pytest.raises(ValueError):
            load_signing_key(bad)


def test_load_public_key_formats() -> None:
    key = SigningKey.from_seed(RFC_SEED)
    vk = key.verifying_key
    pem = vk.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for form in (vk, vk.public_key, key.public_jwk(), pem, RFC_PUBLIC, RFC_PUBLIC.hex(), RFC8037_X):
        assert load_public_key(form) == vk
    with pytest.raises(ValueError):
        load_public_key(key.private_pem())
    with pytest.raises(ValueError):
        load_public_key("nonsense")


def test_key_file_created_atomically_with_0600(tmp_path: Path) -> None:
    path = tmp_path / "instance" / "keys" / "signing-key.pem"
    key = load_or_create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes() == key.private_pem()
    assert load_or_create_key_file(path).key_id == key.key_id
    assert sorted(p.name for p in path.parent.iterdir()) == ["signing-key.pem"]


def test_key_file_existing_is_loaded(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    path.write_bytes(SigningKey.from_seed(RFC_SEED).private_pem())
    assert load_or_create_key_file(str(path)).verifying_key.raw == RFC_PUBLIC


def test_key_file_corrupt_is_an_error_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    path.write_bytes(b"-----BEGIN PRIVATE KEY-----\ngarbage\n")
    with pytest.raises(ValueError):
        load_or_create_key_file(path)
    assert path.read_bytes().endswith(b"garbage\n")


def test_key_file_race_yields_one_key(tmp_path: Path) -> None:
    path = tmp_path / "race" / "signing-key.pem"
    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(lambda _: load_or_create_key_file(path).key_id, range(32)))
    assert len(ids) == 1
    assert os.listdir(path.parent) == ["signing-key.pem"]


def test_key_file_without_hard_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(src: object, dst: object) -> None:
        raise PermissionError("hard links not supported")

    monkeypatch.setattr(os, "link", no_links)
    path = tmp_path / "signing-key.pem"
    key = load_or_create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key_file(path).key_id == key.key_id
    assert os.listdir(tmp_path) == ["signing-key.pem"]


def test_keyring_verify_current_and_retired() -> None:
    old, new, stranger = seeded("old"), seeded("new"), seeded("stranger")
    ring = Keyring(new, retired=[old.public_jwk()])
    message = b"hello"
    assert ring.verify(new.key_id, message, new.sign(message))
    assert ring.verify(old.key_id, message, old.sign(message))
    assert not ring.verify(new.key_id, message, old.sign(message))
    assert not ring.verify(new.key_id, b"hellO", new.sign(message))
    assert not ring.verify(stranger.key_id, message, stranger.sign(message))
    assert not ring.verify(new.key_id, message, new.sign(message)[:63])
    assert not ring.verify(None, message, new.sign(message))  # type: ignore[arg-type]
    assert [k.key_id for k in ring.keys] == [new.key_id, old.key_id]
    assert old.key_id in ring and stranger.key_id not in ring
    assert ring.get(old.key_id) == old.verifying_key
    assert ring.by_tag(old.tag) == old.verifying_key


def test_keyring_deduplicates_and_refuses_tag_clashes() -> None:
    key = seeded("dup")
    assert len(Keyring(key, retired=[key.verifying_key, key.public_jwk()]).keys) == 1
    seen: dict[str, SigningKey] = {}
    i = 0
    while True:
        candidate = seeded(f"clash-{i}")
        if candidate.tag in seen:
            break
        seen[candidate.tag] = candidate
        i += 1
    with pytest.raises(ValueError, match="share the token tag"):
        Keyring(candidate, retired=[seen[candidate.tag].verifying_key])


def test_well_known_document() -> None:
    old, new = seeded("old"), seeded("new")
    doc = well_known_document(Keyring(new, retired=[old.verifying_key]))
    assert doc == {"keys": [new.public_jwk(), old.public_jwk()], "current": new.key_id}
    reparsed = json.loads(json.dumps(doc))
    assert [VerifyingKey.from_jwk(j) for j in reparsed["keys"]] == [
        new.verifying_key,
        old.verifying_key,
    ]


def test_tree_head_message_is_exact() -> None:
    assert tree_head_message("th-abc", 5, ROOT, 1742000000000) == (
        b"tanhui-sth-v1\nth-abc\n5\n1742000000000\n" + ROOT.hex().encode() + b"\n"
    )


def test_sign_and_verify_tree_head() -> None:
    key = seeded("sth")
    ring = Keyring(key)
    sth = sign_tree_head(key, 5, ROOT, 1742000000000)
    assert set(sth) == {"tree_size", "timestamp", "root_hash", "kid", "signature"}
    assert sth["root_hash"] == ROOT.hex() and sth["kid"] == key.key_id
    assert key.verifying_key.verify(
        tree_head_message(key.key_id, 5, ROOT, 1742000000000), bytes.fromhex(sth["signature"])
    )
    assert verify_tree_head(ring, sth)
    assert verify_tree_head(ring, json.loads(json.dumps(sth)))
    assert verify_tree_head(Keyring(seeded("next"), retired=[key.verifying_key]), sth)
    assert not verify_tree_head(Keyring(seeded("other")), sth)


@pytest.mark.parametrize(
    "change",
    [
        {"tree_size": 6},
        {"tree_size": True},
        {"tree_size": -1},
        {"tree_size": "5"},
        {"tree_size": 2**53},
        {"timestamp": 1742000000001},
        {"timestamp": 1.742e12},
        {"root_hash": hashlib.sha256(b"other").hexdigest()},
        {"root_hash": ROOT.hex().upper()},
        {"root_hash": ROOT.hex()[:-2]},
        {"kid": "th-aaaaaaaaaaaaaaaa"},
        {"kid": None},
        {"signature": "00" * 64},
        {"signature": None},
    ],
)
def test_tampered_tree_heads_fail(change: dict[str, object]) -> None:
    key = seeded("sth")
    sth = {**sign_tree_head(key, 5, ROOT, 1742000000000), **change}
    assert not verify_tree_head(Keyring(key), sth)


def test_tree_head_signature_bitflip_and_non_mapping() -> None:
    key = seeded("sth")
    sth = sign_tree_head(key, 5, ROOT, 1742000000000)
    sig = bytearray.fromhex(sth["signature"])
    sig[10] ^= 1
    assert not verify_tree_head(Keyring(key), {**sth, "signature": sig.hex()})
    assert not verify_tree_head(Keyring(key), [sth])  # type: ignore[arg-type]


@pytest.mark.parametrize(("size", "ts", "root"), [(-1, 0, ROOT), (1, -1, ROOT), (1, 0, b"x")])
def test_sign_tree_head_validates(size: int, ts: int, root: bytes) -> None:
    with pytest.raises(ValueError):
        sign_tree_head(seeded("sth"), size, root, ts)


def test_b64url_strict() -> None:
    assert b64url_decode(b64url_encode(b"\xff\xfe")) == b"\xff\xfe"
    for bad in ("a", "ab=", "a+b/", "__9"):
        with pytest.raises(ValueError):
            b64url_decode(bad)
