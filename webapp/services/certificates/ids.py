"""Public certificate ids.

Ten characters drawn uniformly with :mod:`secrets` from the 31-symbol alphabet
``23456789ABCDEFGHJKMNPQRSTUVWXYZ`` (digits and Latin capitals without ``0 O 1 I L``):
``10 * log2(31) ≈ 49.5`` bits, ~8.2e14 ids. All characters are QR alphanumeric-mode and
URL-safe. Ids are displayed as ``XXXXX-XXXXX``.

:func:`normalize_public_id` accepts what people type: any case, full-width characters
(Chinese IME input; NFKC), and spaces/hyphens/dashes/underscores anywhere. It deliberately
does *not* guess replacements for the excluded look-alikes (``0 O 1 I L``): none has a
unique counterpart in the alphabet, and a guess could turn a typo into someone else's
valid id. Such input is rejected (``None``) so the user re-checks the code.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 10
ENTROPY_BITS = 49.54  # LENGTH * log2(len(ALPHABET))

_VALID = re.compile(f"[{ALPHABET}]{{{LENGTH}}}")
_SEPARATORS = re.compile(r"[\s\-_\u2010-\u2015\u2212]+")


def generate_public_id() -> str:
    """A new random public id."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def is_public_id(value: object) -> bool:
    """True iff ``value`` is exactly a canonical public id (no normalisation)."""
    return isinstance(value, str) and _VALID.fullmatch(value) is not None


def normalize_public_id(value: str) -> str | None:
    """Canonical id from user input, or ``None`` if it cannot be one."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", value)).upper()
    return text if _VALID.fullmatch(text) else None


def format_public_id(public_id: str) -> str:
    """Human display form ``XXXXX-XXXXX``."""
    if not is_public_id(public_id):
        raise ValueError(f"not a public id: {public_id!r}")
    return f"{public_id[:5]}-{public_id[5:]}"
