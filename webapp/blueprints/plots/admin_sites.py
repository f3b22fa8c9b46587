"""Staff pages for memorial sites: register and edit, species, plot import, photos."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from webapp.blueprints.calculator import presenting as present
from webapp.blueprints.plots import bp
from webapp.blueprints.plots.forms import PlotsImportForm, SiteForm, SitePhotoForm, SpeciesForm
from webapp.blueprints.plots.views import send_stored_photo
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.models import Role, SitePhoto
from webapp.security import role_required
from webapp.services import storage
from webapp.services.certificates.shares import SharesRefused
from webapp.services.plots import photos, queries, sites

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
            f"{f.value} t/亩/年 · {f.citation[:80]} ({present.verification_label(f.verification)})",
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
            "plots/admin_site.html",
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


def _admin_site(code: str):
    site = queries.site_by_code(db.session, code)
    if site is None:
        abort(404)
    return site


@bp.route("/admin/sites", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_sites():
    form = SiteForm(prefix="site")
    problem = None
    if form.validate_on_submit():
        try:
            site = sites.register_site(
                db.session, _site_data(form, form.code.data or ""), actor=current_user
            )
            db.session.commit()
            flash(_("Site %(code)s registered.", code=site.code), "success")
            return redirect(url_for(".admin_site", code=site.code))
        except DomainError as exc:
            db.session.rollback()
            problem = str(exc.message)
    status = 400 if (form.errors or problem) else 200
    return (
        render_template(
            "plots/admin_sites.html",
            sites=queries.public_sites(db.session),
            form=form,
            problem=problem,
        ),
        status,
    )


@bp.route("/admin/sites/<code>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_site(code: str):
    site = _admin_site(code)
    form = SiteForm(prefix="site")
    form.code.data = site.code
    if form.validate_on_submit():
        try:
            sites.update_site(db.session, site, _site_data(form, site.code), actor=current_user)
            db.session.commit()
            flash(_("Site %(code)s saved.", code=site.code), "success")
            return redirect(url_for(".admin_site", code=site.code))
        except DomainError as exc:
            db.session.rollback()
            return _page(site, site_form=form, problem=str(exc.message), status=400)
    if form.is_submitted():
        return _page(site, site_form=form, status=400)
    return _page(site)


@bp.post("/admin/sites/<code>/species")
@role_required(Role.ADMIN)
def admin_site_species(code: str):
    site = _admin_site(code)
    form = _species_form()
    if not form.validate_on_submit():
        return _page(site, species_form=form, status=400)
    try:
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
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _page(site, species_form=form, problem=str(exc.message), status=400)
    flash(_("Species added."), "success")
    return redirect(url_for(".admin_site", code=site.code))


@bp.post("/admin/sites/<code>/plots")
@role_required(Role.ADMIN)
def admin_site_plots(code: str):
    site = _admin_site(code)
    form = PlotsImportForm(prefix="plots")
    if not form.validate_on_submit():
        return _page(site, plots_form=form, status=400)
    try:
        added = sites.import_plots(
            db.session, site, form.file.data.read(sites.MAX_PLOT_FILE + 1), actor=current_user
        )
        db.session.commit()
    except SharesRefused as exc:
        db.session.rollback()
        problem = _("The file was refused; no plot was added.")
        return _page(site, plots_form=form, problem=problem, row_errors=exc.errors, status=400)
    except DomainError as exc:
        db.session.rollback()
        return _page(site, plots_form=form, problem=str(exc.message), status=400)
    flash(_("%(n)s plots added.", n=len(added)), "success")
    return redirect(url_for(".admin_site", code=site.code))


@bp.post("/admin/sites/<code>/photos")
@role_required(Role.ADMIN)
def admin_site_photo(code: str):
    site = _admin_site(code)
    form = SitePhotoForm(prefix="photo")
    if not form.validate_on_submit():
        return _page(site, photo_form=form, status=400)
    limit = current_app.config["PLOT_PHOTO_MAX_BYTES"]
    try:
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
    except DomainError as exc:
        db.session.rollback()
        return _page(site, photo_form=form, problem=str(exc.message), status=400)
    # As for rangers' photos: the file first, then the commit; a failed commit removes it.
    store = storage.from_config(current_app.config, "photos")
    created = photos.save(store, [prepared])
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        photos.discard(created, store)
        raise
    flash(_("Photo added."), "success")
    return redirect(url_for(".admin_site", code=site.code))


@bp.get("/site-photos/<int:photo_id>.jpg")
def site_photo(photo_id: int):
    record = db.session.get(SitePhoto, photo_id)
    if record is None:
        abort(404)
    return send_stored_photo(record.path, record.sha256)
