"""The Chinese catalog is complete and every template string is in it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "webapp/translations/zh/LC_MESSAGES/messages.po"


def test_zh_catalog_has_no_missing_or_fuzzy_entries():
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    missing = [m.id for m in catalog if m.id and not m.string]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert missing == [] and fuzzy == []


def test_zh_catalog_defines_each_message_once():
    """Babel keeps the last of two entries for one message without a word, so a catalog
    merged from two branches could silently change a translation already reviewed."""
    seen: dict[tuple[str | None, str], int] = {}
    context = None
    for line in PO.read_text(encoding="utf-8").splitlines():
        if line.startswith("msgctxt "):
            context = line
        elif line.startswith("msgid ") and line != 'msgid ""':
            key = (context, line)
            seen[key] = seen.get(key, 0) + 1
            context = None
    assert [key for key, count in seen.items() if count > 1] == []


def test_every_source_string_is_in_the_catalog(tmp_path):
    pot = tmp_path / "fresh.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    with pot.open("rb") as fh:
        fresh = {m.id for m in read_po(fh) if m.id}
    with PO.open("rb") as fh:
        known = {m.id for m in read_po(fh) if m.id and m.string}
    untranslated = sorted(str(m) for m in fresh - known)
    assert untranslated == [], "run `make catalog` and translate: " + "; ".join(untranslated[:20])
