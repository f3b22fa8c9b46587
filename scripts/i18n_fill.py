"""Fill msgstr entries of a catalog from a JSON mapping {msgid: translation}.

Used when adding strings in bulk: `python scripts/i18n_fill.py zh new.json`.
Existing translations are replaced only when the mapping names them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent


def main(locale: str, mapping_path: str) -> int:
    po_path = ROOT / "webapp" / "translations" / locale / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    mapping = json.loads(Path(mapping_path).read_text(encoding="utf-8"))
    unknown = [k for k in mapping if k not in catalog]
    for key, value in mapping.items():
        if key in catalog:
            msg = catalog[key]
            # Plural entries take one string per form (Chinese has one form).
            if isinstance(msg.id, tuple):
                msg.string = (value,) * max(1, len(msg.string or ()))
            else:
                msg.string = value
            msg.flags.discard("fuzzy")
    with po_path.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, sort_output=True)
    missing = [m.id for m in catalog if m.id and not m.string]
    print(
        f"filled {len(mapping) - len(unknown)}; not in catalog: {len(unknown)}; "
        f"still untranslated: {len(missing)}"
    )
    for m in missing:
        print("  missing:", m)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
