"""JSON documents signed in place (the revocation status list, the scanner's site pack).

The document carries ``proof = {"type", "kid", …, "signature"}``; the signature is
Ed25519 (hex) by the key ``kid`` over a fixed ASCII context line followed by the
canonical JSON (``registry/canonical.py``) of the whole document with
``proof.signature`` left out. See ``docs/PROTOCOLS.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from webapp.services.registry.canonical import CanonicalError, canonical_bytes
from webapp.services.signing import Keyring


def signing_input(context: bytes, document: Mapping[str, Any]) -> bytes:
    """The exact bytes signed: ``context`` + canonical JSON without ``proof.signature``."""
    proof = {k: v for k, v in dict(document.get("proof") or {}).items() if k != "signature"}
    return context + canonical_bytes({**document, "proof": proof})


def verify(
    document: Mapping[str, Any], keyring: Keyring, *, context: bytes, proof_type: str
) -> bool:
    """True iff ``document`` has a ``proof_type`` proof by a key of ``keyring`` and is unaltered."""
    proof = document.get("proof") if isinstance(document, Mapping) else None
    if not isinstance(proof, Mapping) or proof.get("type") != proof_type:
        return False
    kid, signature = proof.get("kid"), proof.get("signature")
    if not isinstance(kid, str) or not isinstance(signature, str) or len(signature) != 128:
        return False
    try:
        raw = bytes.fromhex(signature)
        message = signing_input(context, document)
    except (ValueError, CanonicalError):
        return False
    return keyring.verify(kid, message, raw)
