"""Certificate PDFs: an autoescaped Jinja template rendered by :mod:`webapp.services.pdf`.

Public API: :func:`render_pdf` and :data:`DESIGN_VERSION`; :func:`render` also reports
which resources were fetched, for tests and diagnostics.

Isolation. The HTML comes only from ``templates/certificates/`` with autoescaping on,
so names and dedications are always text, never markup. Resources are loaded by the PDF
renderer's static-only fetcher; a refused fetch fails the render.

Fonts. Certificates ask the renderer for compact fonts: Noto CJK faces are subset
without keeping glyph ids and embedded as bare CID-keyed CFFs of exactly the glyphs
shown (~15 KB per face instead of ~100 KB, a third less render time); see
:mod:`webapp.services.pdf.fonts`.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from webapp.services.certificates.context import (
    DESIGN_VERSION,
    DETAILS_BY_KIND,
    CertificateContext,
    Details,
    EventDetails,
    OffsetDetails,
    PlotDetails,
)
from webapp.services.certificates.ids import format_public_id
from webapp.services.certificates.qr import make_qr
from webapp.services.pdf import render as pdf
from webapp.services.pdf.errors import FetchRefusedError, LayoutDoesNotFitError, RenderError
from webapp.services.pdf.render import Rendered

if TYPE_CHECKING:
    import weasyprint

__all__ = [
    "BASE_URL",
    "DESIGN_VERSION",
    "FetchRefusedError",
    "RenderError",
    "Rendered",
    "render",
    "render_html",
    "render_pdf",
]

REPO_ROOT = Path(__file__).resolve().parents[3]
TEMPLATE_DIR = REPO_ROOT / "templates" / "certificates"

BASE_URL = pdf.static_url("certificates")
STYLESHEET_URL = f"{BASE_URL}certificate.css"

QR_SYMBOL_MM = 32.0  # symbol width without quiet zone: ≥ 3 cm so a 3 cm print decodes
SERIAL_ROWS = 2  # serial ranges listed on the certificate; the rest are on the verify page
SERIAL_NARROW = 36  # ranges up to this long sit two per row ("TH-TA-CLS-2024-…" is 34)

# ---- template -----------------------------------------------------------------------

_ENV = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)

NBSP = "\u00a0"  # keeps a number on the same line as its unit
_ENV.globals["nbsp"] = NBSP

_TEMPLATES = {"offset": "offset.html", "plot": "plot.html", "event": "event.html"}
_MONTHS = (  # not calendar.month_name: that follows the process locale
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _date(day: date, locale: str) -> str:
    if locale == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _decimal(value: Decimal) -> str:
    """Grouped, without exponent or trailing zeros: ``1.50`` → ``1.5``, ``12E+3`` → ``12,000``."""
    text = format(value.normalize(), ",f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _tonnes(kg: int) -> str:
    return _decimal(Decimal(kg) / 1000)


def _name_size(name: str) -> int:
    """Font-size class for the holder's name by its printed width (CJK counts double)."""
    width = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in name)
    for size, limit in enumerate((16, 28, 44), start=1):
        if width <= limit:
            return size
    return 4


def _title(details: Details) -> tuple[str, str]:
    if isinstance(details, OffsetDetails):
        return "碳汇注销证明", "Carbon Sink Retirement Certificate"
    if isinstance(details, PlotDetails):
        return "认建认养证书", "Plot Sponsorship Certificate"
    return ("零碳会议证明" if details.meeting else "零碳活动证明"), "Zero-Carbon Event Certificate"


def _view(ctx: CertificateContext, details: Details) -> dict[str, Any]:
    """Display values computed in Python, so the templates only place them."""
    title_zh, title_en = _title(details)
    view: dict[str, Any] = {
        "title_zh": title_zh,
        "title_en": title_en,
        "public_id": format_public_id(ctx.public_id),
        "issued_on": _date(ctx.issued_on, ctx.locale),
        "name_size": _name_size(ctx.holder_name),
        "qr_svg": make_qr(ctx.qr_text).svg(QR_SYMBOL_MM),
    }
    if isinstance(details, OffsetDetails | EventDetails):
        ranges = tuple(details.serial_ranges)
        columns = 2 if max(map(len, ranges)) <= SERIAL_NARROW else 1
        view["serials_columns"] = columns
        view["serials_shown"] = ranges[: SERIAL_ROWS * columns]
        view["serials_more"] = max(0, len(ranges) - SERIAL_ROWS * columns)
    if isinstance(details, OffsetDetails):
        view["quantity_kg"] = f"{details.quantity_kg:,}"
        view["quantity_t"] = _tonnes(details.quantity_kg)
    elif isinstance(details, EventDetails):
        view["footprint_kg"] = f"{details.footprint_kg:,}"
        view["retired_kg"] = f"{details.retired_kg:,}"
        view["retired_t"] = _tonnes(details.retired_kg)
    else:
        view.update(_plot_size(details))
        view["projected_t"] = (
            None if details.projected_t_per_year is None else _decimal(details.projected_t_per_year)
        )
    return view


def _plot_size(plot: PlotDetails) -> dict[str, str]:
    """Trees and/or area in both languages: 侧柏 12 株，面积 1.5 亩 / 12 … on 1.5 mu."""
    trees = None if plot.trees is None else f"{plot.trees:,}"
    area = None if plot.area_mu is None else _decimal(plot.area_mu)
    zh = [f"{plot.species_zh} {trees}{NBSP}株" if trees else plot.species_zh]
    en = [f"{trees}{NBSP}{plot.species_en}" if trees else plot.species_en]
    if area:
        zh.append(f"面积 {area}{NBSP}亩")
        en.append(f"on {area}{NBSP}mu")
    return {"size_zh": "，".join(zh), "size_en": " ".join(en)}


def _check(ctx: CertificateContext, details: Details) -> None:
    if not isinstance(ctx, CertificateContext):
        raise TypeError("ctx must be a CertificateContext")
    expected = DETAILS_BY_KIND[ctx.kind]
    if type(details) is not expected:
        raise TypeError(f"a {ctx.kind} certificate needs {expected.__name__}")
    if ctx.design_version != DESIGN_VERSION:
        raise ValueError(f"this renderer draws design {DESIGN_VERSION}, not {ctx.design_version!r}")


def render_html(ctx: CertificateContext, details: Details, *, compact: bool = False) -> str:
    """The certificate's HTML (resources relative to :data:`BASE_URL`)."""
    _check(ctx, details)
    return _html(ctx, details, _view(ctx, details), compact=compact)


def _html(ctx: CertificateContext, details: Details, view: dict[str, Any], *, compact: bool) -> str:
    template = _ENV.get_template(_TEMPLATES[ctx.kind])
    return template.render(ctx=ctx, d=details, v=view, compact=compact)


# ---- PDF ----------------------------------------------------------------------------

_FOOT_GAP_PX = 2 / 25.4 * 96  # 2 mm between the statement and the footer


def _fits(document: weasyprint.Document) -> bool:
    """One page, and the statement ends above the bottom-aligned footer."""
    if len(document.pages) != 1:
        return False
    anchors = document.pages[0].anchors
    return anchors["main-end"][1] + _FOOT_GAP_PX <= anchors["foot"][1]


def render(ctx: CertificateContext, details: Details) -> Rendered:
    """Render the certificate; raises :class:`RenderError` if it is not one clean page.

    Long texts that would run into the footer get a second, compact layout; length
    limits in :mod:`.context` keep every valid context within that.
    """
    _check(ctx, details)
    view = _view(ctx, details)
    layouts = (_html(ctx, details, view, compact=compact) for compact in (False, True))
    try:
        return pdf.render(
            layouts,
            base_url=BASE_URL,
            stylesheet_url=STYLESHEET_URL,
            cache_stylesheet=True,
            fits=_fits,
            compact_fonts=True,
        )
    except LayoutDoesNotFitError as error:
        raise RenderError("the certificate text does not fit on one A4 page") from error


def render_pdf(ctx: CertificateContext, details: Details) -> bytes:
    """The certificate as PDF bytes (A4 landscape, one page, fonts embedded and subset)."""
    return render(ctx, details).pdf
