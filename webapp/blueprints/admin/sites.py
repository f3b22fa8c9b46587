"""Staff pages for memorial sites (碳汇林纪念基地): register and edit, species, plot import,
photos."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from webapp.blueprints.admin import bp
from webapp.blueprints.admin.forms import PlotsImportForm, SiteForm, SitePhotoForm, SpeciesForm
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.i18n import paren
from webapp.services import storage
from webapp.services.certificates.shares import SharesRefused
from webapp.services.plots import photos, queries, sites
from webapp.unit_of_work import committing
from webapp.web import footprint_presenting as present

SITE_FIELDS = (
    "name_zh",
    "name_en",
    "operator_zh",
    "operator_en",
    "province",
    "county_zh",
    "county_en",
    "description_zh",
    "description_en",
    "visiting_zh",
    "visiting_en",
    "planting_seasons_zh",
    "planting_seasons_en",
)


def _site_data(form: SiteForm, code: str) -> sites.SiteData:
    values = {name: getattr(form, name).data or "" for name in SITE_FIELDS}
    return sites.SiteData(code=code, boundary=form.boundary.data or "", **values)


def _species_form() -> SpeciesForm:
    form = SpeciesForm(prefix="species")
    form.factor.choices = [
        SelectChoice(
            f.id,
            f"{f.value} {_('t per mu per year')} · {f.citation[:80]} "
            f"{paren(present.verification_label(f.verification))}",
        )
        for f in sites.sequestration_factors()
    ]
    return form


def _page(
    site,
    *,
    site_form=None,
    species_form=None,
    plots_form=None,
    photo_form=None,
    problem=None,
    row_errors=(),
    status=200,
):
    if site_form is None:
        site_form = SiteForm(prefix="site", obj=site)
        site_form.boundary.data = sites.format_points(site.boundary)
    species = queries.site_species(db.session, site)
    return (
        render_template(
            "admin/site.html",
            site=site,
            site_form=site_form,
            species_form=species_form or _species_form(),
            plots_form=plots_form or PlotsImportForm(prefix="plots"),
            photo_form=photo_form or SitePhotoForm(prefix="photo"),
            species=species,
            citations=queries.citations(species),
            plots=queries.site_plots(db.session, site),
            photos=sites.photos_of(db.session, site),
            problem=problem,
            row_errors=row_errors,
        ),
        status,
    )


def _site_or_404(code: str):
    site = queries.site_by_code(db.session, code)
    if site is None:
        abort(404)
    return site


@bp.route("/sites", methods=["GET", "POST"])
def sites_page():
    form = SiteForm(prefix="site")
    problem = None
    if form.validate_on_submit():
        try:
            with committing(db.session):
                site = sites.register_site(
                    db.session, _site_data(form, form.code.data or ""), actor=current_user
                )
            flash(_("Site %(code)s registered.", code=site.code), "success")
            return redirect(url_for(".site", code=site.code))
        except DomainError as exc:
            problem = str(exc.message)
    status = 400 if (form.errors or problem) else 200
    return (
        render_template(
            "admin/sites.html",
            sites=queries.public_sites(db.session),
            form=form,
            problem=problem,
        ),
        status,
    )


@bp.route("/sites/<code>", methods=["GET", "POST"])
def site(code: str):
    site = _site_or_404(code)
    form = SiteForm(prefix="site")
    form.code.data = site.code
    if form.validate_on_submit():
        try:
            with committing(db.session):
                sites.update_site(db.session, site, _site_data(form, site.code), actor=current_user)
            flash(_("Site %(code)s saved.", code=site.code), "success")
            return redirect(url_for(".site", code=site.code))
        except DomainError as exc:
            return _page(site, site_form=form, problem=str(exc.message), status=400)
    if form.is_submitted():
        return _page(site, site_form=form, status=400)
    return _page(site)


@bp.post("/sites/<code>/species")
def site_species(code: str):
    site = _site_or_404(code)
    form = _species_form()
    if not form.validate_on_submit():
        return _page(site, species_form=form, status=400)
    try:
        with committing(db.session):
            sites.add_species(
                db.session,
                site,
                code=form.code.data or "",
                name_zh=form.name_zh.data or "",
                name_en=form.name_en.data or "",
                factor_id=form.factor.data,
                scientific_name=form.scientific_name.data or "",
                projection_years=form.projection_years.data,
                planting_seasons_zh=form.planting_seasons_zh.data or "",
                planting_seasons_en=form.planting_seasons_en.data or "",
                actor=current_user,
            )
    except DomainError as exc:
        return _page(site, species_form=form, problem=str(exc.message), status=400)
    flash(_("Species added."), "success")
    return redirect(url_for(".site", code=site.code))


@bp.post("/sites/<code>/plots")
def site_plots(code: str):
    site = _site_or_404(code)
    form = PlotsImportForm(prefix="plots")
    if not form.validate_on_submit():
        return _page(site, plots_form=form, status=400)
    try:
        with committing(db.session):
            added = sites.import_plots(
                db.session, site, form.file.data.read(sites.MAX_PLOT_FILE + 1), actor=current_user
            )
    except SharesRefused as exc:
        problem = _("The file was refused; no plot was added.")
        return _page(site, plots_form=form, problem=problem, row_errors=exc.errors, status=400)
    except DomainError as exc:
        return _page(site, plots_form=form, problem=str(exc.message), status=400)
    flash(_("%(n)s plots added.", n=len(added)), "success")
    return redirect(url_for(".site", code=site.code))


@bp.post("/sites/<code>/photos")
def site_photo(code: str):
    site = _site_or_404(code)
    form = SitePhotoForm(prefix="photo")
    if not form.validate_on_submit():
        return _page(site, photo_form=form, status=400)
    limit = current_app.config["PLOT_PHOTO_MAX_BYTES"]
    # As for rangers' photos: the file first, then the commit; a failed commit removes it.
    store = storage.from_config(current_app.config, "photos")
    created: list = []
    try:
        with committing(db.session):
            prepared = photos.prepare(
                photos.read_limited(form.photo.data.stream, limit), max_bytes=limit
            )
            sites.add_photo(
                db.session,
                site,
                prepared,
                caption_zh=form.caption_zh.data or "",
                caption_en=form.caption_en.data or "",
                actor=current_user,
            )
            created = photos.save(store, [prepared])
    except DomainError as exc:
        photos.discard(created, store)
        return _page(site, photo_form=form, problem=str(exc.message), status=400)
    except Exception:
        photos.discard(created, store)
        raise
    flash(_("Photo added."), "success")
    return redirect(url_for(".site", code=site.code))
