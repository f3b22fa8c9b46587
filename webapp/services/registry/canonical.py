"""Canonical JSON for ledger entries and certificate payloads.

The canonical form of a value is the UTF-8 encoding of its JSON text with:

* object keys sorted by Unicode code point, no duplicate keys, keys must be strings;
* no insignificant whitespace (separators ``,`` and ``:``);
* non-ASCII characters written as themselves (no ``\\uXXXX`` escapes), except that
  ``"``, ``\\`` and control characters U+0000-U+001F are escaped as ``JSON.stringify``
  does (``\\b \\f \\n \\r \\t``, otherwise lowercase ``\\u00xx``);
* numbers are integers only, in the I-JSON safe range ``-(2**53-1) .. 2**53-1``; floats
  (and so NaN/Infinity) are rejected: money and decimal quantities travel as strings;
* ``true``, ``false`` and ``null``; arrays from lists or tuples; strings must be valid
  Unicode (lone surrogates are rejected).

For values accepted here this equals ``JSON.stringify`` with recursively sorted keys.

``entry_hash(payload) = SHA-256(0x00 || canonical_bytes(payload))``, i.e. the RFC 6962
leaf hash of the canonical bytes, so an entry hash is directly a Merkle leaf.
"""

from __future__ import annotations

import json
from typing import Any

from webapp.services.registry.merkle import leaf_hash

MAX_SAFE_INTEGER = 2**53 - 1


class CanonicalError(ValueError):
    """The value cannot be canonically encoded."""


def _check(value: Any, path: str) -> None:
    if value is None or isinstance(value, bool | str):
        if isinstance(value, str):
            _check_text(value, path)
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise CanonicalError(f"{path}: integer outside the safe range ±(2**53-1)")
        return
    if isinstance(value, float):
        raise CanonicalError(f"{path}: floats are not allowed; use an int or a string")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalError(f"{path}: object key {key!r} is not a string")
            _check_text(key, f"{path} key")
            _check(item, f"{path}.{key}")
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check(item, f"{path}[{i}]")
        return
    raise CanonicalError(f"{path}: unsupported type {type(value).__name__}")


def _check_text(text: str, path: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CanonicalError(f"{path}: string is not valid Unicode (lone surrogate)") from exc


def canonical_json(value: Any) -> str:
    """Canonical JSON text of ``value``; raises :class:`CanonicalError`."""
    _check(value, "$")
    return json.dumps(
        value,
        ensure_ascii=False,
        allow_nan=False,
        sort_keys=True,
        separators=(",", ":"),
    )


def canonical_bytes(value: Any) -> bytes:
    """Canonical UTF-8 bytes of ``value``; raises :class:`CanonicalError`."""
    return canonical_json(value).encode("utf-8")


def entry_hash(payload: Any) -> bytes:
    """RFC 6962 leaf hash of the canonical bytes: ``SHA-256(0x00 || canonical_bytes)``."""
    return leaf_hash(canonical_bytes(payload))
