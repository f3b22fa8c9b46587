"""Adding species and plots to a memorial site (used by the demo loader, admin tools, tests).

A species' sequestration rate is never typed in: it is read from the sourced factor set,
so every number shown on a page carries its factor id and source.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from webapp.errors import DomainError
from webapp.models import Delivery, MemorialSite, Plot, PlotStatus, SiteSpecies
from webapp.models.plots import MAX_PLOT_CODE
from webapp.services.footprint.factors import load_factor_set

PLOT_CODE = re.compile(rf"[0-9A-Z-]{{1,{MAX_PLOT_CODE}}}")
MAX_POINTS = 64
MAX_COORDINATE = 100_000  # metres from the site's origin


def check_code(code: str) -> str:
    """A plot code as printed on plaques: 1–16 characters of 0-9, A-Z and '-'."""
    normalised = (code or "").strip().upper()
    if not PLOT_CODE.fullmatch(normalised):
        raise DomainError(
            _l("A plot code has 1 to 16 characters: digits, capital letters A–Z and “-”.")
        )
    return normalised


def check_polygon(points: Sequence[Sequence[float]]) -> list[list[float]]:
    """At least three finite [x, y] points in metres; returned as plain floats."""
    if not 3 <= len(points) <= MAX_POINTS:
        raise DomainError(_l("A plot outline needs 3 to 64 points."))
    clean: list[list[float]] = []
    for point in points:
        if len(point) != 2:
            raise DomainError(_l("Each point of a plot outline is a pair [x, y] in metres."))
        x, y = (float(v) for v in point)
        if not (math.isfinite(x) and math.isfinite(y)) or max(abs(x), abs(y)) > MAX_COORDINATE:
            raise DomainError(_l("Each point of a plot outline is a pair [x, y] in metres."))
        clean.append([x, y])
    return clean


def add_species(
    session: Session,
    site: MemorialSite,
    *,
    code: str,
    name_zh: str,
    name_en: str,
    factor_id: str,
    factor_set: str | None = None,
    scientific_name: str = "",
    projection_years: int = 20,
    planting_seasons_zh: str = "",
    planting_seasons_en: str = "",
    note_zh: str = "",
    note_en: str = "",
) -> SiteSpecies:
    factors = load_factor_set(factor_set)
    factor = factors.get(factor_id)
    if factor.value is None or factor.unit != "tCO2e/mu/yr":
        raise DomainError(_l("The factor must be a sequestration rate in tCO2e per mu per year."))
    species = SiteSpecies(
        site_id=site.id,
        code=code,
        name_zh=name_zh,
        name_en=name_en,
        scientific_name=scientific_name,
        rate_t_per_mu_year=factor.value,
        factor_set=factors.version,
        factor_id=factor.id,
        # The citation a reader can look up (pages read it afresh from the factor set).
        source=factor.citation[:300],
        source_url=factor.link,
        delivery=Delivery.PROJECTED,
        projection_years=projection_years,
        planting_seasons_zh=planting_seasons_zh,
        planting_seasons_en=planting_seasons_en,
        note_zh=note_zh,
        note_en=note_en,
    )
    session.add(species)
    session.flush()
    return species


def add_plot(
    session: Session,
    site: MemorialSite,
    *,
    code: str,
    species: SiteSpecies,
    price: Decimal,
    polygon: Sequence[Sequence[float]] | None = None,
    centroid: tuple[Decimal, Decimal] | None = None,
    size_m: Decimal | None = None,
    area_mu: Decimal | None = None,
    tree_count: int | None = None,
    is_demo: bool = False,
) -> Plot:
    if species.site_id != site.id:
        raise DomainError(_l("This species is not offered at this site."))
    if area_mu is None and tree_count is None:
        raise DomainError(_l("A plot has an area (mu), a number of trees, or both."))
    if (area_mu is not None and area_mu <= 0) or (tree_count is not None and tree_count <= 0):
        raise DomainError(_l("A plot has an area (mu), a number of trees, or both."))
    if not isinstance(price, Decimal) or price <= 0:
        raise DomainError(_l("The price must be a positive amount in yuan."))
    shape = check_polygon(polygon) if polygon is not None else None
    if shape is None and (centroid is None or size_m is None or size_m <= 0):
        raise DomainError(_l("A plot needs an outline, or a centre point and a size."))
    plot = Plot(
        site_id=site.id,
        code=check_code(code),
        species_id=species.id,
        price=price,
        polygon=shape,
        centroid_x=centroid[0] if centroid else None,
        centroid_y=centroid[1] if centroid else None,
        size_m=size_m if shape is None else None,
        area_mu=area_mu,
        tree_count=tree_count,
        status=PlotStatus.AVAILABLE,
        is_demo=is_demo,
    )
    session.add(plot)
    session.flush()
    return plot
