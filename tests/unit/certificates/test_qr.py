"""QR symbols: alphanumeric mode, error correction by length, and what the SVG draws."""

from __future__ import annotations

import re

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from tests.support.certificates import make
from webapp.services.certificates.qr import QUIET_ZONE, QrTooLongError, make_qr

BASE = "HTTPS://TANHUI.EXAMPLE.CN/V/7K3MPQ9XRT/"


def draw(symbol, scale: int = 4) -> Image.Image:
    """Rasterise the symbol's SVG path data ourselves (same geometry as the SVG)."""
    side = symbol.size + 2 * QUIET_ZONE
    image = Image.new("L", (side * scale, side * scale), 255)
    pen = ImageDraw.Draw(image)
    for row in re.findall(r"M[^M]+", symbol.path_data()):
        x, y = (float(n) for n in re.match(r"M(\d+) ([\d.]+)", row).groups())
        for dx, length in re.findall(r"m(-?\d+) 0h(\d+)", row):
            x += int(dx)
            top = (y - 0.5) * scale
            pen.rectangle([x * scale, top, (x + int(length)) * scale - 1, top + scale - 1], fill=0)
            x += int(length)
    return image


def test_certificate_text_uses_m_and_alphanumeric_mode() -> None:
    ctx, _ = make("offset")
    symbol = make_qr(ctx.qr_text)
    assert symbol.error_correction == "M"
    # Byte mode holds 122 characters in version 7 at M; only alphanumeric fits 150+.
    assert 150 < len(ctx.qr_text) <= 178 and symbol.version <= 7
    decoded = zxingcpp.read_barcodes(draw(symbol))
    assert [b.text for b in decoded] == [ctx.qr_text]
    assert decoded[0].ec_level == "M"


def test_long_text_falls_back_to_l() -> None:
    symbol = make_qr(BASE + "A" * 160)
    assert symbol.error_correction == "L" and symbol.version <= 10
    assert [b.text for b in zxingcpp.read_barcodes(draw(symbol))] == [BASE + "A" * 160]


def test_text_too_dense_for_3cm_is_refused() -> None:
    with pytest.raises(QrTooLongError):
        make_qr("A" * 400)


@pytest.mark.parametrize("text", ["", "https://lowercase.example", "ÄÖ", "A&B"])
def test_only_alphanumeric_text(text: str) -> None:
    with pytest.raises(ValueError, match="alphanumeric"):
        make_qr(text)


def test_svg_is_plain_geometry_with_requested_size() -> None:
    symbol = make_qr(BASE + "ABC")
    svg = str(symbol.svg(32))
    side = symbol.size + 2 * QUIET_ZONE
    width_mm = 32 * side / symbol.size
    assert f'width="{width_mm:.2f}mm"' in svg and f'viewBox="0 0 {side} {side}"' in svg
    assert re.fullmatch(r"[Mmh0-9. -]+", "".join(re.findall(r' d="([^"]*)"', svg)))
    assert "<script" not in svg and "href" not in svg
