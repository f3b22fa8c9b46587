"""DESIGN_VERSION must change whenever the certificate design files change.

Stored PDFs are re-rendered only when the design version changes, so an edit to a
template, the stylesheet or an SVG without a new version would leave issued
certificates in the old design, and new ones in the new. This test pins a
fingerprint of the design files to the current version: when it fails, bump
``DESIGN_VERSION`` in ``webapp/services/certificates/context.py`` and record the new
fingerprint below.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from webapp.services.certificates.context import DESIGN_VERSION

REPO = Path(__file__).resolve().parents[3]
DESIGN_DIRS = (REPO / "templates" / "certificates", REPO / "static" / "certificates")
FINGERPRINTS = {
    "2026.1": "b1725abf668babd5741b4fd53978f911570bbc939faea8e8d18986545fd2ad54",
    "2026.2": "71799b1127d7655eb2e3e1fe28379a698dd390a94db303573f478633ae339285",
}


def fingerprint() -> str:
    digest = hashlib.sha256()
    for directory in DESIGN_DIRS:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            digest.update(path.relative_to(REPO).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def test_design_files_match_the_design_version() -> None:
    assert FINGERPRINTS.get(DESIGN_VERSION) == fingerprint(), (
        "certificate design files changed: bump DESIGN_VERSION and record the new "
        f"version here with fingerprint {fingerprint()!r}"
    )
