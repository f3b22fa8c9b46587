"""Ed25519 signing keys, key rotation and signed tree heads.

Key id: ``"th-"`` + lowercase RFC 4648 base32 (no padding) of the first 10 bytes of
SHA-256 over the 32-byte raw public key, e.g. ``th-3qzv7kdj5nabm6xe`` (80 bits). The
*key tag* is the first 3 base32 characters after ``th-``, uppercased (15 bits); it is what
certificate tokens carry, and a :class:`Keyring` refuses two keys with the same tag.

Signed tree head message (ASCII, each line ends with ``\\n``)::

    tanhui-sth-v1
    <kid>
    <tree_size, decimal>
    <timestamp in ms since the Unix epoch, decimal>
    <root hash, 64 lowercase hex>

See ``docs/PROTOCOLS.md`` for the exact formats.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

KEY_ID_PREFIX = "th-"
KEY_TAG_LENGTH = 3
SIGNATURE_SIZE = 64
STH_CONTEXT = "tanhui-sth-v1"
MAX_SAFE_INTEGER = 2**53 - 1

_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX128 = re.compile(r"[0-9a-f]{128}")


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict inverse of :func:`b64url_encode`; raises ``ValueError``."""
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError("not base64url") from exc
    if b64url_encode(data) != text:
        raise ValueError("non-canonical base64url")
    return data


def key_id_for(raw_public_key: bytes) -> str:
    """Key id of a 32-byte raw Ed25519 public key."""
    digest = hashlib.sha256(raw_public_key).digest()[:10]
    return KEY_ID_PREFIX + base64.b32encode(digest).decode("ascii").lower()


def key_tag_for(key_id: str) -> str:
    """The 3-character uppercase tag of a key id, as carried in certificate tokens."""
    return key_id[len(KEY_ID_PREFIX) : len(KEY_ID_PREFIX) + KEY_TAG_LENGTH].upper()


@dataclass(frozen=True, eq=False)
class VerifyingKey:
    """An Ed25519 public key with its derived key id."""

    public_key: Ed25519PublicKey
    raw: bytes
    key_id: str

    @classmethod
    def from_public_key(cls, public_key: Ed25519PublicKey) -> VerifyingKey:
        raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return cls(public_key=public_key, raw=raw, key_id=key_id_for(raw))

    @classmethod
    def from_raw(cls, raw: bytes) -> VerifyingKey:
        if len(raw) != 32:
            raise ValueError("an Ed25519 public key is 32 bytes")
        return cls.from_public_key(Ed25519PublicKey.from_public_bytes(bytes(raw)))

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> VerifyingKey:
        """Parse an OKP/Ed25519 JWK (RFC 8037); a ``kid``, if present, must match."""
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            raise ValueError("JWK is not an OKP Ed25519 key")
        if "d" in jwk:
            raise ValueError("refusing a JWK that contains a private key")
        key = cls.from_raw(b64url_decode(jwk.get("x", "")))
        kid = jwk.get("kid")
        if kid is not None and kid != key.key_id:
            raise ValueError(f"JWK kid {kid!r} does not match the key ({key.key_id})")
        return key

    @property
    def tag(self) -> str:
        return key_tag_for(self.key_id)

    def verify(self, message: bytes, signature: bytes) -> bool:
        """True iff ``signature`` is a valid Ed25519 signature of ``message``."""
        if not isinstance(signature, bytes | bytearray) or len(signature) != SIGNATURE_SIZE:
            return False
        try:
            self.public_key.verify(bytes(signature), bytes(message))
        except InvalidSignature:
            return False
        return True

    def to_jwk(self) -> dict[str, str]:
        """Public JWK per RFC 8037, with ``kid``, ``alg`` and ``use``."""
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64url_encode(self.raw),
            "kid": self.key_id,
            "alg": "EdDSA",
            "use": "sig",
        }

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VerifyingKey) and other.raw == self.raw

    def __hash__(self) -> int:
        return hash(self.raw)


class SigningKey:
    """An Ed25519 private key. ``repr`` never shows secret material."""

    __slots__ = ("_private", "verifying_key")

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private = private_key
        self.verifying_key = VerifyingKey.from_public_key(private_key.public_key())

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        """From the 32-byte private seed (RFC 8032 private key)."""
        if len(seed) != 32:
            raise ValueError("an Ed25519 private key seed is 32 bytes")
        return cls(Ed25519PrivateKey.from_private_bytes(bytes(seed)))

    @property
    def key_id(self) -> str:
        return self.verifying_key.key_id

    @property
    def tag(self) -> str:
        return self.verifying_key.tag

    def sign(self, message: bytes) -> bytes:
        """64-byte Ed25519 signature (deterministic, RFC 8032)."""
        return self._private.sign(bytes(message))

    def public_jwk(self) -> dict[str, str]:
        return self.verifying_key.to_jwk()

    def private_pem(self) -> bytes:
        """PKCS#8 PEM, unencrypted: protect it with file permissions."""
        return self._private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def __repr__(self) -> str:
        return f"SigningKey(key_id={self.key_id!r})"


def _decode_key_text(data: bytes | str) -> bytes | None:
    """Decode 32 key bytes given as raw bytes, hex or base64(url); ``None`` if not that."""
    if isinstance(data, bytes | bytearray) and len(data) == 32:
        return bytes(data)
    try:
        text = data.decode("ascii") if isinstance(data, bytes | bytearray) else data
    except UnicodeDecodeError:
        return None
    text = text.strip()
    if re.fullmatch(r"[0-9a-fA-F]{64}", text):
        return bytes.fromhex(text)
    if re.fullmatch(r"[A-Za-z0-9+/_-]{43}=?", text):
        with contextlib.suppress(binascii.Error, ValueError):
            url_safe = text.replace("+", "-").replace("/", "_").rstrip("=")
            raw = base64.urlsafe_b64decode(url_safe + "=")
            if len(raw) == 32:
                return raw
    return None


def _pem_bytes(data: bytes | str) -> bytes | None:
    text = data if isinstance(data, str) else data.decode("utf-8", "replace")
    if "-----BEGIN" not in text:
        return None
    # Accept PEM pasted into an environment variable with literal "\n" escapes.
    return text.strip().replace("\\n", "\n").encode("ascii", "replace") + b"\n"


def load_signing_key(data: bytes | str) -> SigningKey:
    """Load a private key: PKCS#8 PEM, or the 32-byte seed as raw bytes, hex or base64(url)."""
    pem = _pem_bytes(data)
    if pem is not None:
        try:
            private = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"unreadable private key PEM: {exc}") from exc
        if not isinstance(private, Ed25519PrivateKey):
            raise ValueError("the private key is not an Ed25519 key")
        return SigningKey(private)
    seed = _decode_key_text(data)
    if seed is None:
        raise ValueError("expected a PEM Ed25519 private key or a 32-byte seed (raw/hex/base64)")
    return SigningKey.from_seed(seed)


def load_public_key(
    data: bytes | str | Mapping[str, Any] | Ed25519PublicKey | VerifyingKey,
) -> VerifyingKey:
    """Load a public key: JWK, SubjectPublicKeyInfo PEM, or 32 bytes raw/hex/base64(url)."""
    if isinstance(data, VerifyingKey):
        return data
    if isinstance(data, Ed25519PublicKey):
        return VerifyingKey.from_public_key(data)
    if isinstance(data, Mapping):
        return VerifyingKey.from_jwk(data)
    pem = _pem_bytes(data)
    if pem is not None:
        try:
            public = serialization.load_pem_public_key(pem)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"unreadable public key PEM: {exc}") from exc
        if not isinstance(public, Ed25519PublicKey):
            raise ValueError("the public key is not an Ed25519 key")
        return VerifyingKey.from_public_key(public)
    raw = _decode_key_text(data)
    if raw is None:
        raise ValueError("expected a JWK, a PEM Ed25519 public key or 32 bytes (raw/hex/base64)")
    return VerifyingKey.from_raw(raw)


def load_or_create_key_file(path: str | os.PathLike[str]) -> SigningKey:
    """Load the PEM key at ``path``, creating it (mode 0600, atomically) if missing.

    Creation writes a temporary file and hard-links it into place, so concurrent workers
    never see a partial file and the loser of a race loads the winner's key. On
    filesystems without hard links it falls back to an exclusive create in place.
    """
    target = Path(path)
    with contextlib.suppress(FileNotFoundError):
        return load_signing_key(target.read_bytes())
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = SigningKey.generate()
    pem = key.private_pem()
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(8)}.tmp")
    try:
        _write_new_file(tmp, pem)
        try:
            os.link(tmp, target)
        except FileExistsError:
            return load_signing_key(target.read_bytes())
        except OSError:
            try:
                _write_new_file(target, pem)
            except FileExistsError:
                return load_signing_key(target.read_bytes())
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(target.parent)
    return key


def _write_new_file(path: Path, data: bytes) -> None:
    """Create ``path`` exclusively with mode 0600 and write ``data`` durably."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fh.fileno(), 0o600)
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Keyring:
    """The current signing key plus retired public keys still accepted for verification."""

    __slots__ = ("_by_id", "_by_tag", "current")

    def __init__(
        self,
        current: SigningKey,
        retired: Iterable[VerifyingKey | Mapping[str, Any] | bytes | str] = (),
    ) -> None:
        self.current = current
        self._by_id: dict[str, VerifyingKey] = {}
        self._by_tag: dict[str, VerifyingKey] = {}
        for key in [current.verifying_key, *(load_public_key(k) for k in retired)]:
            if key.key_id in self._by_id:
                continue
            clash = self._by_tag.get(key.tag)
            if clash is not None:
                raise ValueError(
                    f"keys {clash.key_id} and {key.key_id} share the token tag {key.tag}; "
                    "generate a new key"
                )
            self._by_id[key.key_id] = key
            self._by_tag[key.tag] = key

    @property
    def keys(self) -> tuple[VerifyingKey, ...]:
        """All verification keys, current first."""
        return tuple(self._by_id.values())

    def get(self, key_id: str) -> VerifyingKey | None:
        return self._by_id.get(key_id)

    def by_tag(self, tag: str) -> VerifyingKey | None:
        return self._by_tag.get(tag)

    def __contains__(self, key_id: object) -> bool:
        return key_id in self._by_id

    def verify(self, key_id: str, message: bytes, signature: bytes) -> bool:
        """True iff ``key_id`` is known and ``signature`` verifies under it."""
        key = self._by_id.get(key_id) if isinstance(key_id, str) else None
        return key is not None and key.verify(message, signature)


def well_known_document(keyring: Keyring) -> dict[str, Any]:
    """Body of ``/.well-known/tanhui-keys.json``: ``{"keys": [jwk, ...], "current": kid}``."""
    return {
        "keys": [key.to_jwk() for key in keyring.keys],
        "current": keyring.current.key_id,
    }


def tree_head_message(key_id: str, tree_size: int, root: bytes, timestamp_ms: int) -> bytes:
    """The exact bytes signed in a tree head."""
    lines = (STH_CONTEXT, key_id, str(tree_size), str(timestamp_ms), bytes(root).hex())
    return "".join(f"{line}\n" for line in lines).encode("ascii")


def _is_count(value: object) -> bool:
    return type(value) is int and 0 <= value <= MAX_SAFE_INTEGER


def sign_tree_head(key: SigningKey, size: int, root: bytes, timestamp_ms: int) -> dict[str, Any]:
    """Signed tree head: ``{"tree_size", "timestamp", "root_hash", "kid", "signature"}``.

    ``root_hash`` and ``signature`` are lowercase hex; ``timestamp`` is ms since the epoch.
    """
    if not _is_count(size):
        raise ValueError("tree size must be an int in 0..2**53-1")
    if not _is_count(timestamp_ms):
        raise ValueError("timestamp_ms must be an int in 0..2**53-1")
    if len(root) != 32:
        raise ValueError("root must be 32 bytes")
    signature = key.sign(tree_head_message(key.key_id, size, root, timestamp_ms))
    return {
        "tree_size": size,
        "timestamp": timestamp_ms,
        "root_hash": bytes(root).hex(),
        "kid": key.key_id,
        "signature": signature.hex(),
    }


def verify_tree_head(keyring: Keyring, sth: Mapping[str, Any]) -> bool:
    """True iff ``sth`` is well-formed and signed by a key in ``keyring``."""
    if not isinstance(sth, Mapping):
        return False
    size, timestamp = sth.get("tree_size"), sth.get("timestamp")
    root_hex, sig_hex, kid = sth.get("root_hash"), sth.get("signature"), sth.get("kid")
    if not (_is_count(size) and _is_count(timestamp) and isinstance(kid, str)):
        return False
    if not (isinstance(root_hex, str) and _HEX64.fullmatch(root_hex)):
        return False
    if not (isinstance(sig_hex, str) and _HEX128.fullmatch(sig_hex)):
        return False
    message = tree_head_message(kid, size, bytes.fromhex(root_hex), timestamp)
    return keyring.verify(kid, message, bytes.fromhex(sig_hex))
