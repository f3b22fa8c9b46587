"""Rendered certificates: fonts, text, QR codes, honesty of wording, layout limits."""

from __future__ import annotations

import io
import re
from dataclasses import replace

import pypdf
import pytest
import zxingcpp
from PIL import ImageFilter

from tests.support.certificates import (
    DEDICATION,
    KEYRING,
    KINDS,
    LOCALES,
    NAME,
    make,
    make_context,
    make_details,
    serials,
    with_name,
)
from tests.support.pdftools import (
    _run,
    decode_qr,
    glyph_report,
    missing_glyphs,
    pdffonts,
    pdftotext,
    rasterise,
)
from webapp.services.certificates import render as render_module
from webapp.services.certificates.context import DESIGN_VERSION
from webapp.services.certificates.render import (
    QR_SYMBOL_MM,
    RenderError,
    render,
    render_pdf,
)
from webapp.services.certificates.token import parse_qr_text, verify_token
from webapp.services.pdf import fonts

CASES = [(kind, locale) for kind in KINDS for locale in LOCALES]
A4_LANDSCAPE_PT = (841.89, 595.28)
BUDGET_BYTES = 150 * 1024
TITLES = {
    "offset": ("碳汇注销证明", "Carbon Sink Retirement Certificate"),
    "plot": ("认建认养证书", "Plot Sponsorship Certificate"),
    "event": ("零碳会议证明", "Zero-Carbon Event Certificate"),
}


def flat(text: str) -> str:
    """pdftotext output with all whitespace removed (lines wrap anywhere)."""
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize(("kind", "locale"), CASES)
def test_one_a4_landscape_page_within_budget(rendered, kind: str, locale: str) -> None:
    _ctx, _details, result = rendered[kind, locale]
    reader = pypdf.PdfReader(io.BytesIO(result.pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(A4_LANDSCAPE_PT, abs=0.1)
    assert len(result.pdf) <= BUDGET_BYTES


@pytest.mark.parametrize(("kind", "locale"), CASES)
def test_cjk_fonts_embedded_and_subset(rendered, kind: str, locale: str) -> None:
    fonts = pdffonts(rendered[kind, locale][2].pdf)
    names = {font.name for font in fonts}
    assert any(name.endswith("+Noto-Serif-CJK-SC-Bold") for name in names), names
    assert any(name.endswith("+Noto-Sans-CJK-SC") for name in names), names
    for font in fonts:
        assert font.embedded and font.subset, font
        assert re.fullmatch(r"[A-Z]{6}\+.+", font.name), font
        assert font.type == "CID Type 0C", font  # the compacted bare CFF


@pytest.mark.parametrize(("kind", "locale"), CASES)
def test_text_shows_name_titles_id_and_url(rendered, kind: str, locale: str) -> None:
    ctx, _details, result = rendered[kind, locale]
    text = flat(pdftotext(result.pdf)).casefold()  # titles may be set in capitals
    date = "2025年3月15日" if locale == "zh" else "15 March 2025"
    for expected in (NAME, *TITLES[kind], "7K3MP-Q9XRT", ctx.verify_url, date):
        assert flat(expected).casefold() in text, expected


@pytest.mark.parametrize(("kind", "locale"), CASES)
def test_no_missing_or_notdef_glyphs(rendered, kind: str, locale: str) -> None:
    _ctx, _details, result = rendered[kind, locale]
    report = glyph_report(result.pdf)
    assert report.notdef_codes == 0
    assert report.absent_codes == set()
    assert missing_glyphs(result.pdf, NAME) == set()
    assert missing_glyphs(result.pdf, TITLES[kind][0] + TITLES[kind][1]) == set()
    if kind == "plot":
        assert missing_glyphs(result.pdf, DEDICATION) == set()


def test_glyph_checker_flags_a_character_no_font_has() -> None:
    ctx, details = make("plot")
    pdf = render_pdf(with_name(ctx, "欧阳\ue000明月"), details)
    assert missing_glyphs(pdf, "欧阳\ue000明月") == {"\ue000"}


def test_glyph_checker_flags_a_glyph_missing_from_the_embedded_font(monkeypatch) -> None:
    """Drop the glyph of 欧 from the compacted font: the checker must notice, even though
    the content stream and ToUnicode still name it."""
    ctx, details = make("offset")
    good = render_pdf(ctx, details)
    reader = pypdf.PdfReader(io.BytesIO(good))
    serif = next(
        f.get_object()
        for f in reader.pages[0]["/Resources"]["/Font"].values()
        if "Serif" in f.get_object()["/BaseFont"]
    )
    cmap = serif["/ToUnicode"].get_object().get_data().decode()
    ou = next(int(c, 16) for c, t in re.findall(r"<(\w{4})> <(\w+)>", cmap) if t == "6b27")

    real = fonts._cids_in_widths
    monkeypatch.setattr(fonts, "_cids_in_widths", lambda w: real(w) - {ou})
    broken = render_pdf(ctx, details)
    assert missing_glyphs(broken, NAME) == {"欧"}
    assert ou in glyph_report(broken).absent_codes


@pytest.mark.parametrize(("kind", "locale"), CASES)
def test_qr_decodes_to_signed_text(rendered, kind: str, locale: str) -> None:
    ctx, _details, result = rendered[kind, locale]
    decoded = decode_qr(rasterise(result.pdf, 150))
    assert decoded == [ctx.qr_text]
    public_id, token = parse_qr_text(decoded[0])
    claims = verify_token(KEYRING, token, public_id=public_id)
    assert claims.public_id == ctx.public_id
    assert claims.kind == kind
    assert claims.issued_on == ctx.issued_on


def _word_boxes(pdf: bytes) -> list[tuple[str, float, float, float, float]]:
    """Every word pdftotext finds, with its box in points (x0, y0, x1, y1; y downwards)."""
    html = _run("pdftotext", "-bbox", data=pdf, stdout=("-",)).decode("utf-8")
    pattern = re.compile(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    )
    words = [(w, float(a), float(b), float(c), float(d)) for a, b, c, d, w in pattern.findall(html)]
    # Letter-spaced text comes out in pieces ("7", "K3MP-Q9XRT"): glue touching pieces.
    glued: list[tuple[str, float, float, float, float]] = []
    for word in words:
        if glued and abs(glued[-1][2] - word[2]) < 0.5 and 0 <= word[1] - glued[-1][3] < 2:
            last = glued.pop()
            word = (last[0] + word[0], last[1], last[2], word[3], max(last[4], word[4]))
        glued.append(word)
    return glued


@pytest.mark.parametrize(("kind", "locale"), CASES)
def test_the_number_is_printed_right_under_the_qr_code(rendered, kind: str, locale: str) -> None:
    """Where the verify page and the scanner say it is: under the QR code, within its width,
    and nowhere else on the sheet (the verify URL holds it unhyphenated)."""
    ctx, _details, result = rendered[kind, locale]
    dpi = 150
    (symbol,) = zxingcpp.read_barcodes(
        rasterise(result.pdf, dpi), formats=zxingcpp.BarcodeFormat.QRCode
    )
    corners = [symbol.position.top_left, symbol.position.bottom_right]
    qr_left, qr_right = (c.x * 72 / dpi for c in corners)
    qr_bottom = corners[1].y * 72 / dpi
    shown = f"{ctx.public_id[:5]}-{ctx.public_id[5:]}"
    boxes = [b for b in _word_boxes(result.pdf) if shown in b[0]]
    assert len(boxes) == 1, boxes
    _word, x0, y0, x1, _y1 = boxes[0]
    assert qr_left - 12 <= x0 and x1 <= qr_right + 12  # within the code's width (± 4 mm)
    assert 0 <= y0 - qr_bottom <= 6 * 72 / 25.4  # starts less than 6 mm below the code


@pytest.mark.parametrize("kind", KINDS)
def test_qr_decodes_from_a_3cm_print_scanned_at_200_dpi(rendered, kind: str) -> None:
    """Rasterise so the symbol is as many pixels as a 3 cm print scanned at 200 dpi
    (236 px), soften it like print and scan do, and decode."""
    ctx, _details, result = rendered[kind, "zh"]
    assert QR_SYMBOL_MM >= 30
    dpi = 200 * 30 / QR_SYMBOL_MM
    image = rasterise(result.pdf, dpi).filter(ImageFilter.GaussianBlur(0.7))
    assert decode_qr(image) == [ctx.qr_text]


@pytest.mark.parametrize(("kind", "locale"), CASES)
def test_fetcher_served_only_static_files(rendered, kind: str, locale: str) -> None:
    result = rendered[kind, locale][2]
    assert result.refused == ()
    assert set(result.fetched) <= {
        "tanhui-static:/certificates/emblem.svg",
        "tanhui-static:/certificates/frame.svg",
    }


@pytest.mark.parametrize(
    "name",
    [
        '<img src="file:///etc/passwd">',
        '<link rel=stylesheet href="http://127.0.0.1:9/x.css">',
    ],
)
@pytest.mark.parametrize("kind", ["offset", "plot"])
def test_markup_in_names_prints_as_text(kind: str, name: str) -> None:
    ctx, details = make(kind)
    if kind == "plot":
        details = replace(details, dedication_message=name)
    result = render(with_name(ctx, name), details)
    assert flat(name) in flat(pdftotext(result.pdf))
    assert result.refused == ()
    assert all(url.startswith("tanhui-static:/certificates/") for url in result.fetched)
    assert not any("passwd" in url or "127.0.0.1" in url for url in result.fetched)


def test_a_refused_resource_fails_the_render(monkeypatch) -> None:
    ctx, details = make("offset")
    real = render_module._html

    def leaky(*args, **kwargs):
        html = real(*args, **kwargs)
        return html.replace("</body>", '<img src="file:///etc/passwd"></body>')

    monkeypatch.setattr(render_module, "_html", leaky)
    with pytest.raises(render_module.FetchRefusedError, match="passwd"):
        render(ctx, details)


def content_text(pdf: bytes) -> str:
    """Text in content-stream order (pdftotext reorders the rotated watermark)."""
    return flat(pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text())


def test_revoked_watermark() -> None:
    ctx, details = make("offset")
    pdf = render_pdf(replace(ctx, revoked=True), details)
    assert content_text(pdf).endswith("已撤销REVOKED")
    assert missing_glyphs(pdf, "已撤销") == set()
    en = render_pdf(replace(ctx, revoked=True, locale="en"), details)
    assert content_text(en).endswith("REVOKED已撤销")


def test_not_revoked_has_no_watermark(rendered) -> None:
    for kind, locale in CASES:
        text = content_text(rendered[kind, locale][2].pdf)
        assert "已撤销" not in text and "REVOKED" not in text


def test_offset_wording_is_an_offset_of_emissions(rendered) -> None:
    zh = flat(pdftotext(rendered["offset", "zh"][2].pdf))
    assert "已注销林业碳汇2,417千克" in zh and "用于抵消" in zh and "的碳排放" in zh
    en = flat(pdftotext(rendered["offset", "en"][2].pdf))
    assert "tooffsettheemissionsof" in en
    assert "预估" not in zh and "projected" not in en.lower()  # verified credits


def test_projected_credits_are_labelled_with_expected_years() -> None:
    ctx, _ = make("offset")
    details = make_details("offset", delivery="projected", expected_years="2027–2031")
    text = flat(pdftotext(render_pdf(ctx, details)))
    assert "预估" in text and "2027–2031" in text and "尚未核证" in text
    assert "Projectedcredits" in text and "notyetverified" in text


def test_plot_is_a_contribution_not_an_offset(rendered) -> None:
    for locale in LOCALES:
        text = flat(pdftotext(rendered["plot", locale][2].pdf))
        assert "并非对碳排放的抵消" in text and "notanoffsetofemissions" in text
        assert "用于抵消" not in text and "offsettheemissions" not in text
        assert "预估" in text and "2026–2055" in text and "projected" in text
        assert DEDICATION in text


def test_event_is_offset_in_full(rendered) -> None:
    text = flat(pdftotext(rendered["event", "zh"][2].pdf))
    assert "予以全部抵消" in text and "offsetinfull" in text


def test_event_title_follows_meeting_flag() -> None:
    details = make_details("event", meeting=False)
    ctx = make_context("event", details)
    assert "零碳活动证明" in flat(pdftotext(render_pdf(ctx, details)))


def test_long_serial_lists_are_capped() -> None:
    details = make_details("offset", serial_ranges=serials(30))
    ctx = make_context("offset", details)
    text = flat(pdftotext(render_pdf(ctx, details)))
    assert "另有26个序列号区间，详见验证页面" in text
    assert "and26moreranges—seetheverificationpage" in text
    assert serials(30)[3] in text and serials(30)[4] not in text


def test_primary_language_comes_first(rendered) -> None:
    zh = flat(pdftotext(rendered["offset", "zh"][2].pdf)).casefold()
    en = flat(pdftotext(rendered["offset", "en"][2].pdf)).casefold()
    assert zh.index("碳汇注销证明") < zh.index("carbonsinkretirementcertificate")
    assert en.index("carbonsinkretirementcertificate") < en.index("碳汇注销证明")
    assert zh.index("已注销林业碳汇") < zh.index("hasretired")
    assert en.index("hasretired") < en.index("已注销林业碳汇")


def test_rendering_is_deterministic(rendered) -> None:
    ctx, details, result = rendered["plot", "en"]
    assert render_pdf(ctx, details) == result.pdf


def test_design_version_and_details_must_match() -> None:
    ctx, details = make("offset")
    with pytest.raises(ValueError, match="design"):
        render_pdf(replace(ctx, design_version="1999.1"), details)
    with pytest.raises(TypeError, match="OffsetDetails"):
        render_pdf(ctx, make_details("plot"))
    assert ctx.design_version == DESIGN_VERSION == render_module.DESIGN_VERSION


def test_a_layout_that_does_not_fit_is_refused(monkeypatch) -> None:
    ctx, details = make("offset")
    real = render_module._html

    def overflowing(*args, **kwargs):
        return real(*args, **kwargs).replace(
            '<div id="main-end">', '<div style="height: 400mm"></div><div id="main-end">'
        )

    monkeypatch.setattr(render_module, "_html", overflowing)
    with pytest.raises(RenderError, match="one A4 page"):
        render(ctx, details)
