"""Printable plot plaques (an A4 sheet) and a site-entrance poster, as PDF.

Rendered like certificates (:mod:`webapp.services.print_sheets`): an autoescaped Jinja
template from ``templates/plots_print/`` fed plain data only, turned into PDF by
:mod:`webapp.services.pdf.render` (files under ``static/`` and nothing else, the shared
fonts and render lock), and Noto CJK for Chinese.

The QR codes carry upper-case short links (``{BASE_URL}/P/<SITE>/<PLOT>``,
``{BASE_URL}/S/<SITE>``) in QR alphanumeric mode, drawn by the certificates' QR helper
at 30 mm so they scan from a plaque on a post; the app redirects them to the pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup

from webapp.models import MemorialSite, Plot, SiteSpecies
from webapp.services.certificates.qr import make_qr
from webapp.services.plots import queries
from webapp.services.print_sheets import VERIFICATION_TEXTS, PrintSheets

_SHEETS = PrintSheets("plots_print", "plots")
QR_MM = 30.0
POSTER_QR_MM = 70.0
PLAQUES_PER_PAGE = 8


def plot_qr_text(base_url: str, site_code: str, plot_code: str) -> str:
    return f"{base_url.rstrip('/')}/P/{site_code}/{plot_code}".upper()


def site_qr_text(base_url: str, site_code: str) -> str:
    return f"{base_url.rstrip('/')}/S/{site_code}".upper()


@dataclass(frozen=True)
class PlaqueData:
    code: str
    site_zh: str
    site_en: str
    species_zh: str
    species_en: str
    size: str  # "1.6 亩 · 100 株 / 1.6 mu · 100 trees"
    url: str
    qr: Markup


@dataclass(frozen=True)
class SpeciesLine:
    zh: str
    en: str
    rate: str
    factor_id: str
    source: str
    seasons_zh: str
    seasons_en: str


def _cited(species: SiteSpecies) -> str:
    """The rate's citation with its verification status, for the bilingual poster."""
    cited = queries.citation(species)
    return f"{cited.text} · {VERIFICATION_TEXTS.get(cited.verification, cited.verification)}"


def _num(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _size(plot: Plot) -> str:
    zh, en = [], []
    if plot.area_mu is not None:
        zh.append(f"{_num(plot.area_mu)} 亩")
        en.append(f"{_num(plot.area_mu)} mu")
    if plot.tree_count is not None:
        zh.append(f"{plot.tree_count} 株")
        en.append(f"{plot.tree_count} trees")
    return " · ".join(zh) + " / " + " · ".join(en)


def plaques(site: MemorialSite, plots: Sequence[Plot], base_url: str) -> list[PlaqueData]:
    items = []
    for plot in plots:
        text = plot_qr_text(base_url, site.code, plot.code)
        items.append(
            PlaqueData(
                code=plot.code,
                site_zh=site.name_zh,
                site_en=site.name_en,
                species_zh=plot.species.name_zh,
                species_en=plot.species.name_en,
                size=_size(plot),
                url=text,
                qr=make_qr(text).svg(QR_MM),
            )
        )
    return items


def _render(template: str, **context: object) -> bytes:
    return _SHEETS.render(template, **context)


def render_plaques(site: MemorialSite, plots: Sequence[Plot], base_url: str) -> bytes:
    """An A4 sheet (several pages if needed) of plaques, eight per page, with cut lines."""
    items = plaques(site, plots, base_url)
    pages = [items[i : i + PLAQUES_PER_PAGE] for i in range(0, len(items), PLAQUES_PER_PAGE)]
    return _render("plaques.html", site=site, pages=pages or [[]], demo=site.is_demo)


def render_poster(
    site: MemorialSite, species: Sequence[SiteSpecies], plot_count: int, base_url: str
) -> bytes:
    """A4 site-entrance poster with the site's QR code and its species' projections."""
    text = site_qr_text(base_url, site.code)
    lines = [
        SpeciesLine(
            zh=s.name_zh,
            en=s.name_en,
            rate=_num(s.rate_t_per_mu_year),
            factor_id=s.factor_id,
            source=_cited(s),
            seasons_zh=s.planting_seasons_zh,
            seasons_en=s.planting_seasons_en,
        )
        for s in species
    ]
    sources = list(dict.fromkeys((line.factor_id, line.source) for line in lines))
    return _render(
        "poster.html",
        site=site,
        species=lines,
        sources=sources,
        plot_count=plot_count,
        url=text,
        qr=make_qr(text).svg(POSTER_QR_MM),
        demo=site.is_demo,
    )
