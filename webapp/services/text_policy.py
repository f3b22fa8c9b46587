"""The one policy for text people give that can become public or enter the ledger: names,
beneficiaries, purposes, organisation and event names, comments.

Text is NFC-normalised and trimmed; control characters, bidirectional overrides and
isolates, zero-width and other invisible format characters, surrogates, private-use and
unassigned code points are refused (a beneficiary ``a\\u202eb`` would otherwise be published
reversed, permanently, in the register and the append-only ledger). Single-line text may not
hold line breaks; multi-line text may hold line feeds and tabs. Lengths are counted after
normalisation.

Used by every form (``webapp/web/fields.py``: the one ``strip`` filter), the CSV
imports and the services that write names to the registry (``allocation.check_beneficiary``).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from flask_babel import lazy_gettext as _l

# Cc control, Cf format (bidi marks and overrides, zero-width, BOM, soft hyphen…),
# Cs surrogates, Co private use, Cn unassigned, Zl/Zp line and paragraph separators.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_MULTILINE_ALLOWED = frozenset({"\n", "\t"})


class TextRefused(ValueError):
    """``message`` is lazy and user-facing; a ValueError so WTForms filters report it on
    the field."""

    def __init__(self, message: Any) -> None:
        super().__init__(message)
        self.message = message


def normalise(text: str, *, multiline: bool = False) -> str:
    """NFC and trimmed; CRLF and CR become LF in multi-line text."""
    text = unicodedata.normalize("NFC", text)
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()


def problem(text: str, *, multiline: bool = False) -> Any | None:
    """Why ``text`` (already normalised) is refused, or None."""
    for ch in text:
        if multiline and ch in _MULTILINE_ALLOWED:
            continue
        if unicodedata.category(ch) in REFUSED_CATEGORIES:
            return _l(
                "The text contains an invisible, control or direction-changing character "
                "(U+%(code)s); please remove it.",
                code=f"{ord(ch):04X}",
            )
    return None


def clean(
    text: str | None, *, limit: int | None = None, multiline: bool = False, label: Any = None
) -> str:
    """``text`` normalised, or TextRefused saying why it cannot be accepted."""
    value = normalise(text or "", multiline=multiline)
    why = problem(value, multiline=multiline)
    if why is not None:
        raise TextRefused(why)
    if limit is not None and len(value) > limit:
        raise TextRefused(_l("At most %(max)d characters.", max=limit))
    return value


def is_clean(text: str, *, multiline: bool = False) -> bool:
    return problem(normalise(text, multiline=multiline), multiline=multiline) is None
