"""Embedded fonts: bare CID-keyed CFF subsets holding exactly the glyphs shown."""

from __future__ import annotations

import io

import pypdf
import pytest
import weasyprint
from fontTools.cffLib import CFFFontSet
from fontTools.ttLib import TTFont
from PIL import ImageChops

from tests.support.certificates import make
from tests.support.pdftools import glyph_report, rasterise
from webapp.services.certificates import render as r
from webapp.services.pdf import fonts
from webapp.services.pdf import render as pdf_render
from webapp.services.pdf.fonts import _cids_in_widths, _compact_cff


def font_files(pdf: bytes) -> list[tuple[str, pypdf.generic.DictionaryObject, object]]:
    """(BaseFont, CIDFont dictionary, font file stream) of every font on page 1."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    out = []
    for font in reader.pages[0]["/Resources"]["/Font"].values():
        font = font.get_object()
        cid_font = font["/DescendantFonts"][0].get_object()
        stream = cid_font["/FontDescriptor"].get_object()["/FontFile3"].get_object()
        out.append((font["/BaseFont"], cid_font, stream))
    return out


@pytest.mark.parametrize("kind", ["offset", "plot", "event"])
def test_subsets_are_valid_cid_cff_with_exactly_the_glyphs_shown(rendered, kind: str) -> None:
    pdf = rendered[kind, "zh"][2].pdf
    for name, cid_font, stream in font_files(pdf):
        assert stream["/Subtype"] == "/CIDFontType0C", name
        data = stream.get_data()
        cff = CFFFontSet()
        cff.decompile(io.BytesIO(data), None)
        top = cff.topDictIndex[0]
        assert top.ROS == ("Adobe", "Identity", 0), name
        cids = {int(g[3:]) for g in top.charset if g.startswith("cid")}
        assert cids == _cids_in_widths(list(cid_font["/W"])) - {0}, name
        assert len(top.charset) == len(cids) + 1  # .notdef + the glyphs shown
        for glyph in top.charset:  # every charstring decodes
            top.CharStrings[glyph].decompile()
        assert len(data) < 40_000, name
    assert glyph_report(pdf).absent_codes == set()


@pytest.mark.parametrize("kind", ["offset", "plot", "event"])
def test_fast_subsetting_draws_exactly_what_weasyprint_draws(
    rendered, kind: str, monkeypatch
) -> None:
    """The renumbering HarfBuzz subset must select the very same glyphs as WeasyPrint's
    own id-retaining subsetting: compare the rasterised pages pixel for pixel."""
    ctx, details, fast = rendered[kind, "zh"]
    monkeypatch.setattr(fonts, "FAST_SUBSET", False)
    reference = r.render_pdf(ctx, details)
    assert reference != fast.pdf  # a different path was taken…
    difference = ImageChops.difference(rasterise(fast.pdf, 110), rasterise(reference, 110))
    assert difference.getbbox() is None  # …to the same page


def test_noto_never_takes_weasyprints_slow_path(monkeypatch) -> None:
    def slow_path(*args: object) -> None:
        raise AssertionError("WeasyPrint's id-retaining subset was used")

    monkeypatch.setattr(fonts, "_WEASYPRINT_HARFBUZZ_SUBSET", slow_path)
    ctx, details = make("plot", "en")
    assert r.render_pdf(ctx, details).startswith(b"%PDF-")


def weasyprint_subset_fonts(html: str) -> list[tuple[str, pypdf.generic.DictionaryObject, object]]:
    """Fonts of a document WeasyPrint renders on its own, outside render()."""
    pdf = weasyprint.HTML(string=html, base_url=r.BASE_URL, url_fetcher=pdf_render.StaticFetcher())
    css = pdf_render.stylesheet(r.STYLESHEET_URL)
    return font_files(pdf.write_pdf(font_config=pdf_render._FONT_CONFIG, stylesheets=[css]))


def test_other_weasyprint_documents_keep_weasyprints_subsetting() -> None:
    """Outside render() the swapped method delegates to WeasyPrint's own."""
    [(_name, _cid_font, stream)] = weasyprint_subset_fonts(
        '<p style="font-family: Noto Sans CJK SC">碳汇 Tanhui</p>'
    )
    assert stream["/Subtype"] == "/OpenType"  # not compacted
    assert len(TTFont(io.BytesIO(stream.get_data())).getGlyphOrder()) > 20_000  # ids kept


def test_compaction_of_weasyprints_id_retaining_subset(rendered) -> None:
    """The finisher also compacts WeasyPrint's own subsets (the fallback path)."""
    ctx, details, _ = rendered["offset", "zh"]
    for _name, cid_font, stream in weasyprint_subset_fonts(r.render_html(ctx, details)):
        otf = stream.get_data()
        cids = _cids_in_widths(list(cid_font["/W"]))
        compact = _compact_cff(otf, cids)
        assert compact is not None and len(compact) < len(otf) / 20
        assert _compact_cff(otf, cids | {70_000}) is None  # a CID the font lacks


def test_compaction_declines_what_it_does_not_understand() -> None:
    assert _compact_cff(b"\0\1\0\0 not an OpenType CFF font", {1, 2}) is None
    assert _compact_cff(b"OTTO" + b"\0" * 40, {1}) is None


def test_a_font_that_cannot_be_compacted_fails_the_render(monkeypatch) -> None:
    monkeypatch.setattr(fonts, "_compact_cff", lambda otf, cids: None)
    ctx, details = make("offset")
    with pytest.raises(r.RenderError, match="cannot embed font"):
        r.render_pdf(ctx, details)
