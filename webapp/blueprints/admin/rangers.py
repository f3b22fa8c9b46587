"""Staff: which rangers report on which memorial sites (护林员 assignments)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.blueprints.admin import bp
from webapp.blueprints.admin.forms import AssignForm
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.i18n import current_lang
from webapp.models import MemorialSite, User
from webapp.services.plots import queries, rangers
from webapp.unit_of_work import committing


@bp.route("/rangers", methods=["GET", "POST"])
def rangers_page():
    form = AssignForm()
    ranger_list = rangers.rangers(db.session)
    site_list = queries.public_sites(db.session)
    form.ranger.choices = [(u.id, f"{u.display_name} <{u.contact}>") for u in ranger_list]
    form.site.choices = [(s.id, f"{s.code} · {s.text('name', current_lang())}") for s in site_list]
    if form.validate_on_submit():
        ranger = db.session.get(User, form.ranger.data)
        site = db.session.get(MemorialSite, form.site.data)
        try:
            with committing(db.session):
                rangers.assign(db.session, ranger, site, actor=current_user)
        except DomainError as exc:
            flash(str(exc.message), "error")
        else:
            flash(_("%(name)s is assigned to %(site)s.", name=ranger.display_name, site=site.code))
            return redirect(url_for(".rangers_page"))
    return render_template(
        "admin/rangers.html",
        form=form,
        assignments=rangers.assignments(db.session),
        rangers=ranger_list,
    ), (400 if form.errors else 200)


@bp.post("/rangers/<int:user_id>/<int:site_id>/remove")
def unassign_ranger(user_id: int, site_id: int):
    ranger = db.session.get(User, user_id)
    site = db.session.get(MemorialSite, site_id)
    if ranger is None or site is None:
        abort(404)
    with committing(db.session):
        rangers.unassign(db.session, ranger, site, actor=current_user)
    flash(
        _("%(name)s is no longer assigned to %(site)s.", name=ranger.display_name, site=site.code)
    )
    return redirect(url_for(".rangers_page"))
