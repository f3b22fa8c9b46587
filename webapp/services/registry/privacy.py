"""How a beneficiary's name may be shown publicly, by the holder's choice."""

from __future__ import annotations

from webapp.models.registry import Privacy


def initials(name: str) -> str:
    """Initials that keep a name recognisable to its holder but not to strangers.

    Chinese names keep the family name and mask the rest (王小林 → 王**); Latin names
    become initials (Mei Li → M. L.).
    """
    name = name.strip()
    if not name:
        return ""
    if all(ord(ch) > 0x2E80 or ch.isspace() for ch in name):
        compact = name.replace(" ", "")
        return compact[0] + "*" * max(1, len(compact) - 1)
    return " ".join(part[0].upper() + "." for part in name.split() if part)


def display_name(name: str | None, privacy: Privacy | None) -> str | None:
    if not name or privacy is None or privacy is Privacy.ANONYMOUS:
        return None
    if privacy is Privacy.INITIALS:
        return initials(name)
    return name.strip()
