"""The longest valid certificate of every kind still fits one page without overlap."""

from __future__ import annotations

import io
from decimal import Decimal

import pypdf
import pytest

from tests.support.certificates import KINDS, LOCALES, make_context, make_details
from tests.support.pdftools import missing_glyphs
from webapp.services.certificates import context as c
from webapp.services.certificates.render import render

CJK = "欧阳明月泰山碳汇林纪念基地侧柏"  # full-width: the widest characters we print
LATIN = "Wolfeschlegelsteinhausen Mount Tai "


def fill(pattern: str, length: int) -> str:
    return (pattern * (length // len(pattern) + 1))[:length]


def longest(kind: str) -> object:
    serials = [
        f"TH-TA-CLS-2024-{i:09d}-{i + 1:09d}".ljust(c.MAX_SERIAL_RANGE, "9") for i in range(50)
    ]
    common_years = fill("2027–2031 ", c.MAX_SHORT)
    if kind == "offset":
        return make_details(
            "offset",
            quantity_kg=999_999_999,
            project_name_zh=fill(CJK, c.MAX_TEXT_ZH),
            project_name_en=fill(LATIN, c.MAX_TEXT),
            project_code=fill("TA-CLS-2024-", c.MAX_SHORT),
            serial_ranges=serials,
            purpose_zh=fill(CJK, c.MAX_TEXT_ZH),
            purpose_en=fill(LATIN, c.MAX_TEXT),
            delivery="projected",
            expected_years=common_years,
        )
    if kind == "plot":
        return make_details(
            "plot",
            site_name_zh=fill(CJK, c.MAX_TEXT_ZH),
            site_name_en=fill(LATIN, c.MAX_TEXT),
            plot_code="CLS-JN-0042-9999",
            location_zh=fill(CJK, c.MAX_TEXT_ZH),
            location_en=fill(LATIN, c.MAX_TEXT),
            trees=999_999,
            area_mu=Decimal("99999.99"),
            species_zh=fill(CJK, c.MAX_SHORT_ZH),
            species_en=fill(LATIN, c.MAX_SHORT),
            dedication_kind_zh=fill(CJK, c.MAX_SHORT_ZH),
            dedication_kind_en=fill(LATIN, c.MAX_SHORT),
            dedication_message=fill(CJK, c.MAX_DEDICATION),
            projected_t_per_year=Decimal("12345.678"),
            projected_years=common_years,
        )
    return make_details(
        "event",
        event_name=fill(CJK, c.MAX_EVENT_NAME),
        event_kind_zh=fill(CJK, c.MAX_SHORT_ZH),
        event_kind_en=fill(LATIN, c.MAX_SHORT),
        event_dates=fill("2025-03-14 – 2025-03-15 ", c.MAX_SHORT),
        footprint_kg=999_999_998,
        retired_kg=999_999_999,
        serial_ranges=serials,
        delivery="projected",
        expected_years=common_years,
    )


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", KINDS)
def test_longest_valid_certificate_fits_one_page(kind: str, locale: str) -> None:
    details = longest(kind)
    name = fill(CJK, c.MAX_NAME)
    ctx = make_context(kind, details, locale=locale, holder_name=name, revoked=True)
    pdf = render(ctx, details).pdf  # raises RenderError if the text reaches the footer
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == 1
    assert missing_glyphs(pdf, name) == set()
