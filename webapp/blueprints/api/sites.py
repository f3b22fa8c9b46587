"""Memorial sites and their plots as JSON (public data only: no e-mail, no private names)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import abort, jsonify, url_for

from webapp.blueprints.api import bp
from webapp.extensions import db
from webapp.models import MemorialSite, Plot, SiteSpecies
from webapp.services.plots import queries


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _site_dict(site: MemorialSite, summary: queries.SiteSummary) -> dict[str, Any]:
    return {
        "code": site.code,
        "name_zh": site.name_zh,
        "name_en": site.name_en,
        "operator_zh": site.operator_zh,
        "operator_en": site.operator_en,
        "province": site.province,
        "county_zh": site.county_zh,
        "county_en": site.county_en,
        "latitude": _dec(site.latitude),
        "longitude": _dec(site.longitude),
        "description_zh": site.description_zh,
        "description_en": site.description_en,
        "planting_seasons_zh": site.planting_seasons_zh,
        "planting_seasons_en": site.planting_seasons_en,
        "visiting_zh": site.visiting_zh,
        "visiting_en": site.visiting_en,
        "plot_count": summary.total,
        "available_count": summary.available,
        "sponsored_count": summary.sponsored,
        "demo": site.is_demo,
        "url": url_for("plots.site", code=site.code, _external=True),
    }


def _species_dict(s: SiteSpecies) -> dict[str, Any]:
    cited = queries.citation(s)  # the factor set's citation, not the row's stored copy
    return {
        "code": s.code,
        "name_zh": s.name_zh,
        "name_en": s.name_en,
        "scientific_name": s.scientific_name or None,
        "projected_t_per_mu_year": _dec(s.rate_t_per_mu_year),
        "delivery": s.delivery.value,
        "projection_years": s.projection_years,
        "factor_set": s.factor_set,
        "factor_id": s.factor_id,
        "source": cited.text,
        "source_url": cited.url,
        "verification": cited.verification,
        "planting_seasons_zh": s.planting_seasons_zh,
        "planting_seasons_en": s.planting_seasons_en,
    }


def _geometry(plot: Plot) -> dict[str, Any]:
    if plot.polygon:
        return {"type": "polygon", "points": plot.polygon}
    return {
        "type": "square",
        "centroid": [_dec(plot.centroid_x), _dec(plot.centroid_y)],
        "size_m": _dec(plot.size_m),
    }


def _plot_dict(site: MemorialSite, plot: Plot) -> dict[str, Any]:
    dedication = None
    if plot.is_sponsored:
        dedication = {
            "kind": plot.dedication_kind.value if plot.dedication_kind else None,
            "message": plot.dedication_message,
            "sponsor": plot.sponsor_public,  # as the sponsor allowed; null when anonymous
        }
    return {
        "code": plot.code,
        "status": plot.status.value,
        "species": plot.species.code,
        "area_mu": _dec(plot.area_mu),
        "tree_count": plot.tree_count,
        "geometry": _geometry(plot),
        "price": _dec(plot.price) if plot.status.value == "available" else None,
        "currency": "CNY",
        "planted_on": plot.planted_on.isoformat() if plot.planted_on else None,
        "dedication": dedication,
        "url": url_for("plots.plot", code=site.code, plot_code=plot.code, _external=True),
    }


@bp.get("/sites")
def sites():
    summaries = queries.site_summaries(db.session)
    return jsonify(
        sites=[
            _site_dict(s, summaries.get(s.id, queries.SiteSummary()))
            for s in queries.public_sites(db.session)
        ]
    )


@bp.get("/sites/<code>")
def site(code: str):
    item = queries.site_by_code(db.session, code)
    if item is None:
        abort(404)
    summary = queries.site_summaries(db.session).get(item.id, queries.SiteSummary())
    data = _site_dict(item, summary)
    data["boundary"] = item.boundary or []
    data["species"] = [_species_dict(s) for s in queries.site_species(db.session, item)]
    data["plots"] = [_plot_dict(item, p) for p in queries.site_plots(db.session, item)]
    return jsonify(data)
