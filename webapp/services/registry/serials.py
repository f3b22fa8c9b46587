"""Human-readable serial numbers.

Format: ``TH-<project code>-<vintage>-<first>-<last>``, numbers zero-padded to 9 digits,
e.g. ``TH-TA-CLS-2024-000001001-000003417`` for 2,417 kg. One serial is one kilogram.
A single serial is written with first == last. Serial numbers are unique across the whole
registry (one number line), so a number alone identifies its project and issuance.
"""

from __future__ import annotations

import re

WIDTH = 9
_PATTERN = re.compile(
    r"^TH-(?P<code>[A-Z0-9-]+)-(?P<vintage>\d{4})-(?P<first>\d{1,12})"
    r"(?:-(?P<last>\d{1,12}))?$"
)


def format_range(project_code: str, vintage: int, first: int, last: int) -> str:
    return f"TH-{project_code}-{vintage}-{first:0{WIDTH}d}-{last:0{WIDTH}d}"


def parse_serial_query(text: str) -> tuple[int, int] | None:
    """A bare number, or a formatted serial/range → (first, last); None if not a serial."""
    text = text.strip().upper().replace(" ", "")
    if text.isdigit():
        number = int(text)
        return (number, number) if number > 0 else None
    match = _PATTERN.match(text)
    if not match:
        return None
    first = int(match["first"])
    last = int(match["last"]) if match["last"] else first
    return (first, last) if 0 < first <= last else None
