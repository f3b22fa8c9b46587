"""QR codes for printed certificates, drawn as inline SVG.

The text is the uppercase verification URL from :func:`token.qr_text`, encoded as one
QR **alphanumeric-mode** segment (5.5 bits per character instead of 8 in byte mode).

Error correction is chosen by length, because the printed size is fixed (the symbol is
at least 3 cm wide) and every extra version makes the modules smaller:

* **M** (15 % recovery) whenever the text fits a version-7 symbol at M, i.e. up to
  178 characters — every certificate URL with a normal ``BASE_URL`` (153 + value
  length, see ``docs/PROTOCOLS.md`` §8). 45 modules over 3 cm are 0.67 mm each: about
  5 pixels per module for a phone camera or a 200 dpi scan.
* **L** (7 %) for longer texts: at L the same text needs a smaller version than at M,
  which keeps the modules as large as possible on a 3 cm print. Above version 10
  (57 modules, 0.53 mm) a 3 cm print is no longer reliable, so such text is refused.

The dark modules are horizontal runs stroked one module wide, in bands of eight rows.
Where two bands meet, anti-aliasing can leave a faint grey hairline between dark
modules; it stays far darker than the decoder's threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import qrcode
import qrcode.exceptions
import qrcode.util
from markupsafe import Markup

from webapp.services.certificates.token import QR_ALPHANUMERIC

QUIET_ZONE = 4  # modules, as ISO/IEC 18004 requires
MAX_M_VERSION = 7
MAX_VERSION = 10
_BAND_ROWS = 8

_LEVELS = {
    "M": qrcode.constants.ERROR_CORRECT_M,
    "L": qrcode.constants.ERROR_CORRECT_L,
}


class QrTooLongError(ValueError):
    """The text needs a symbol too dense to decode from a 3 cm print."""


@dataclass(frozen=True)
class QrSymbol:
    """A QR symbol: its matrix (without quiet zone) and how it was encoded."""

    text: str
    version: int
    error_correction: Literal["M", "L"]
    matrix: tuple[tuple[bool, ...], ...]

    @property
    def size(self) -> int:
        """Modules per side, without the quiet zone."""
        return len(self.matrix)

    def path_data(self, rows: range | None = None) -> str:
        """SVG path data: one horizontal segment per run of dark modules in ``rows``.

        Stroked 1 module wide with butt caps, each segment covers exactly its modules;
        two numbers per run (a relative move and a length) instead of a rectangle's five.
        """
        parts: list[str] = []
        for y in rows if rows is not None else range(self.size):
            row = self.matrix[y]
            parts.append(f"M{QUIET_ZONE} {y + QUIET_ZONE + 0.5}")
            pen = x = 0
            while x < len(row):
                if not row[x]:
                    x += 1
                    continue
                start = x
                while x < len(row) and row[x]:
                    x += 1
                parts.append(f"m{start - pen} 0h{x - start}")
                pen = x
        return "".join(parts)

    def svg(self, symbol_width_mm: float) -> Markup:
        """Inline ``<svg>`` whose symbol (quiet zone excluded) is ``symbol_width_mm`` wide.

        The quiet zone is painted white so the code scans on tinted paper too.
        """
        side = self.size + 2 * QUIET_ZONE
        total_mm = symbol_width_mm * side / self.size
        # WeasyPrint re-splits the rest of a path string for every token (quadratic), so
        # bands of a few rows draw several times faster than one long path.
        bands = "".join(
            f'<path d="{self.path_data(range(top, min(top + _BAND_ROWS, self.size)))}"/>'
            for top in range(0, self.size, _BAND_ROWS)
        )
        # Only numbers and our own path syntax go into this markup: safe by construction.
        return Markup(  # noqa: S704
            '<svg xmlns="http://www.w3.org/2000/svg" class="qr" role="img" '
            f'aria-label="QR" viewBox="0 0 {side} {side}" '
            f'width="{total_mm:.2f}mm" height="{total_mm:.2f}mm">'
            f'<rect width="{side}" height="{side}" fill="#fff"/>'
            f'<g fill="none" stroke="#000" stroke-width="1">{bands}</g></svg>'
        )


def _build(text: str, level: Literal["M", "L"]) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=_LEVELS[level], box_size=1, border=0)
    code.add_data(qrcode.util.QRData(text.encode("ascii"), mode=qrcode.util.MODE_ALPHA_NUM))
    try:
        code.make(fit=True)
    except qrcode.exceptions.DataOverflowError as exc:
        raise QrTooLongError(f"{len(text)} characters do not fit any QR version") from exc
    return code


def make_qr(text: str) -> QrSymbol:
    """Encode ``text`` (QR alphanumeric characters only) with the level described above."""
    bad = sorted(set(text) - QR_ALPHANUMERIC)
    if not text or bad:
        raise ValueError(f"QR text must be non-empty QR-alphanumeric; bad: {''.join(bad)!r}")
    level: Literal["M", "L"] = "M"
    code = _build(text, level)
    if code.version > MAX_M_VERSION:
        level = "L"
        code = _build(text, level)
    if code.version > MAX_VERSION:
        raise QrTooLongError(
            f"{len(text)} characters need QR version {code.version} at L; "
            f"at most version {MAX_VERSION} decodes reliably from a 3 cm print"
        )
    matrix = tuple(tuple(bool(cell) for cell in row) for row in code.get_matrix())
    return QrSymbol(text=text, version=code.version, error_correction=level, matrix=matrix)


def make_screen_qr(text: str) -> QrSymbol:
    """Any short text (byte mode, level M) for a QR code shown on a screen, such as WeChat
    Pay's ``weixin://`` payment link: a screen is scanned close up, so no size limit."""
    if not text or len(text) > 500:
        raise ValueError("QR text must be 1..500 characters")
    code = qrcode.QRCode(error_correction=_LEVELS["M"], box_size=1, border=0)
    code.add_data(qrcode.util.QRData(text.encode("utf-8"), mode=qrcode.util.MODE_8BIT_BYTE))
    code.make(fit=True)
    matrix = tuple(tuple(bool(cell) for cell in row) for row in code.get_matrix())
    return QrSymbol(text=text, version=code.version, error_correction="M", matrix=matrix)
