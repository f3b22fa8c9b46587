"""Public pages: memorial sites, their map, and each plot's story."""

from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from flask_login import current_user

from webapp.blueprints.plots import bp
from webapp.extensions import db
from webapp.models import PlotPhoto, PlotStatus, SitePhoto
from webapp.services.planting import donations
from webapp.services.planting import queries as planting_queries
from webapp.services.plots import geometry, queries, rangers
from webapp.services.plots.sites import photos_of
from webapp.services.scan import visits as scan_visits
from webapp.web.photos import send_stored_photo


def sponsor_url(site_code: str, plot_codes: list[str]) -> str:
    """The sponsorship page with these plots ticked."""
    return url_for("sponsor.start", site=site_code, plots=",".join(plot_codes))


def _site_or_404(code: str):
    site = queries.site_by_code(db.session, code)
    if site is None:
        abort(404)
    return site


@bp.get("/sites")
def sites():
    items = queries.public_sites(db.session)
    return render_template(
        "plots/sites.html", sites=items, summaries=queries.site_summaries(db.session)
    )


@bp.get("/sites/<code>")
def site(code: str):
    item = _site_or_404(code)
    plots = queries.site_plots(db.session, item)
    species = queries.site_species(db.session, item)
    site_map = geometry.site_map(
        item, plots, lambda p: url_for(".plot", code=item.code, plot_code=p.code)
    )
    return render_template(
        "plots/site.html",
        site=item,
        plots=plots,
        species=species,
        citations=queries.citations(species),
        site_map=site_map,
        photos=photos_of(db.session, item),
        planting_days=planting_queries.site_days(db.session, item),
        donated=donations.site_totals(db.session, item),
        counts=queries.status_counts(plots),
        figures=queries.site_figures(plots),
        statuses=list(PlotStatus),
        sponsor_url=sponsor_url,
        can_report=current_user.is_authenticated
        and rangers.may_report(db.session, current_user, item),
    )


@bp.get("/sites/<code>/plots/<plot_code>")
def plot(code: str, plot_code: str):
    item = _site_or_404(code)
    found = queries.plot_by_code(db.session, item, plot_code)
    if found is None:
        abort(404)
    site_map = geometry.site_map(item, queries.site_plots(db.session, item), lambda p: "")
    visit_count, visits = scan_visits.public_visits(db.session, found)
    return render_template(
        "plots/plot.html",
        site=item,
        plot=found,
        site_map=site_map,
        projection=queries.projection(found),
        survival=queries.latest_survival(found),
        alive=queries.alive(found),
        visit_count=visit_count,
        visits=visits,
        sponsor_link=(
            sponsor_url(item.code, [found.code]) if found.status is PlotStatus.AVAILABLE else None
        ),
    )


# Short links printed as QR codes. QR alphanumeric mode has capitals only, so the printed
# URLs are upper case; these answer in either case and send the visitor on.
@bp.get("/P/<code>/<plot_code>")
@bp.get("/p/<code>/<plot_code>", endpoint="plot_short_lower")
def plot_short(code: str, plot_code: str):
    return redirect(url_for(".plot", code=code.upper(), plot_code=plot_code.upper()))


@bp.get("/S/<code>")
@bp.get("/s/<code>", endpoint="site_short_lower")
def site_short(code: str):
    return redirect(url_for(".site", code=code.upper()))


@bp.get("/plot-photos/<int:photo_id>.jpg")
def photo(photo_id: int):
    record = db.session.get(PlotPhoto, photo_id)
    if record is None:
        abort(404)
    return send_stored_photo(record.path, record.sha256)


@bp.get("/site-photos/<int:photo_id>.jpg")
def site_photo(photo_id: int):
    record = db.session.get(SitePhoto, photo_id)
    if record is None:
        abort(404)
    return send_stored_photo(record.path, record.sha256)
