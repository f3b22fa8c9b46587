"""Forestry-bureau staff: one admin area under /admin, a module per domain.

``projects`` (projects and issuances, maker-checker), ``orders`` (orders, refunds, bank
transfers by two people), ``certificates`` (search, revoke), ``duty`` (find and revoke a
tree-planting duty certificate), ``sites`` (memorial sites,
species, plot import, photos), ``rangers`` (who reports on which site), ``monitoring``
(monitoring periods and their verification, maker-checker; approval delivers projected
tonnes). Every page is for administrators (the ``before_request`` below).
"""

from flask import Blueprint

from webapp.models import Role
from webapp.security import role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@role_required(Role.ADMIN)
def _admins_only() -> None:
    """Every page here is for registry administrators."""


from webapp.blueprints.admin import (  # noqa: E402,F401
    certificates,
    duty,
    losses,
    monitoring,
    orders,
    planting,
    projects,
    rangers,
    sites,
)
