"""The public revocation list: a W3C Bitstring Status List, signed with Ed25519.

Format (https://www.w3.org/TR/vc-bitstring-status-list/): one bit per certificate, the
bit at index *i* (a certificate's primary key) set when that certificate is revoked.
Bit 0 is the most significant bit of the first byte. The bitstring is at least 131,072
bits (16 KiB, the specification's minimum, so a list reveals little about how many
certificates exist) and grows in steps of that size. It is GZIP-compressed (mtime 0,
so equal lists encode equally) and written as multibase base64url without padding:
``"u" + base64url(gzip(bits))``.

The list is published as a ``BitstringStatusListCredential``-shaped JSON document with a
``proof`` that offline checkers can verify with the keys at
``/.well-known/tanhui-keys.json``: an Ed25519 signature (hex) by the key ``proof.kid``
over the ASCII prefix ``"tanhui-status-list-v1\\n"`` followed by the canonical JSON
(sorted keys, no whitespace; ``registry/canonical.py``, equal to RFC 8785 for these
values) of the whole document with ``proof.signature`` left out.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.models import Certificate, CertificateStatus
from webapp.models.base import utcnow
from webapp.services import signed_json
from webapp.services.signing import Keyring, SigningKey

MIN_BITS = 131_072
MAX_DECODED_BYTES = 16 * 1024 * 1024
TTL_MS = 300_000  # how long a checker may cache the list (the HTTP max-age too)
SIGNING_CONTEXT = b"tanhui-status-list-v1\n"
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
PROOF_TYPE = "TanhuiEd25519Signature2026"


class StatusListError(ValueError):
    """A malformed or oversized encoded list."""


def length_for(highest_index: int) -> int:
    """Bits needed to hold ``highest_index``: a positive multiple of :data:`MIN_BITS`."""
    needed = max(highest_index + 1, 1)
    return -(-needed // MIN_BITS) * MIN_BITS


def bitstring(indexes: Iterable[int], length_bits: int) -> bytes:
    """The raw bitstring of ``length_bits`` bits with ``indexes`` set (MSB first)."""
    if length_bits <= 0 or length_bits % 8:
        raise ValueError("the length must be a positive multiple of 8")
    bits = bytearray(length_bits // 8)
    for index in indexes:
        if not 0 <= index < length_bits:
            raise ValueError(f"index {index} outside the list")
        bits[index >> 3] |= 0x80 >> (index & 7)
    return bytes(bits)


def encode(indexes: Iterable[int], length_bits: int) -> str:
    """``encodedList``: multibase ``u`` + base64url (no padding) of the GZIP bitstring."""
    compressed = gzip.compress(bitstring(indexes, length_bits), compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode(encoded: str, *, max_bytes: int = MAX_DECODED_BYTES) -> bytes:
    """The raw bitstring of an ``encodedList``; refuses more than ``max_bytes`` decoded."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise StatusListError("encodedList must be multibase base64url (prefix 'u')")
    text = encoded[1:]
    try:
        compressed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise StatusListError("encodedList is not base64url") from exc
    inflater = zlib.decompressobj(wbits=31)  # gzip framing only
    try:
        data = inflater.decompress(compressed, max_bytes + 1)
    except zlib.error as exc:
        raise StatusListError("encodedList is not GZIP data") from exc
    if len(data) > max_bytes or inflater.unconsumed_tail:
        raise StatusListError("the decoded list is too large")
    if not inflater.eof:
        raise StatusListError("the GZIP stream is truncated")
    return data


def is_set(bits: bytes, index: int) -> bool:
    """The status bit at ``index`` (``IndexError`` when outside the list)."""
    if not 0 <= index < len(bits) * 8:
        raise IndexError(index)
    return bool(bits[index >> 3] & (0x80 >> (index & 7)))


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def signing_input(document: Mapping[str, Any]) -> bytes:
    """The exact bytes signed: the prefix + canonical JSON without ``proof.signature``."""
    return signed_json.signing_input(SIGNING_CONTEXT, document)


def snapshot(session: Session) -> tuple[list[int], int, int]:
    """(revoked certificate ids, certificates issued, highest certificate id)."""
    revoked = list(
        session.scalars(
            select(Certificate.id)
            .where(Certificate.status == CertificateStatus.REVOKED)
            .order_by(Certificate.id)
        )
    )
    count, highest = session.execute(
        select(func.count(Certificate.id), func.coalesce(func.max(Certificate.id), 0))
    ).one()
    return revoked, int(count), int(highest)


def document(
    session: Session,
    *,
    key: SigningKey,
    list_url: str,
    issuer: str,
    keys_url: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The signed status list document for the certificates as they are now."""
    revoked, count, highest = snapshot(session)
    length = length_for(highest)
    created = _iso(now or utcnow())
    doc: dict[str, Any] = {
        "@context": [VC_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": created,
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode(revoked, length),
            "ttl": TTL_MS,
        },
        "tanhui": {
            "certificates": count,
            "revoked": len(revoked),
            "length": length,
            "highest_index": highest,
        },
        "proof": {
            "type": PROOF_TYPE,
            "kid": key.key_id,
            "created": created,
            "keys": keys_url,
        },
    }
    doc["proof"]["signature"] = key.sign(signing_input(doc)).hex()
    return doc


def verify(document: Mapping[str, Any], keyring: Keyring) -> bool:
    """True iff the document is signed by a key of ``keyring`` and unaltered."""
    return signed_json.verify(document, keyring, context=SIGNING_CONTEXT, proof_type=PROOF_TYPE)


def credential_status(list_url: str, index: int) -> dict[str, str]:
    """A certificate's ``credentialStatus`` entry pointing into the list."""
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }
