"""Rangers (护林员): who may report on which site, and their updates on plots.

:func:`record_update` checks the ranger is assigned to the plot's site (administrators
may report anywhere), moves the plot through the one transition function, stores the
update with its already-prepared photos (see ``photos.prepare``), and returns the
sponsors to notify. The caller writes the photo files, commits, then e-mails
(``notify.update_mail``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.errors import DomainError, Forbidden
from webapp.localtime import local_date
from webapp.models import (
    MemorialSite,
    Plot,
    PlotPhoto,
    PlotUpdate,
    PlotUpdateKind,
    RangerAssignment,
    Role,
    User,
)
from webapp.models.base import utcnow
from webapp.services import audit
from webapp.services.plots.photos import MAX_PHOTOS, PreparedPhoto
from webapp.services.plots.states import UPDATE_TARGET, plot_transition

MAX_NOTE = 1000
MAX_SURVIVAL = 1_000_000


# ---- assignments --------------------------------------------------------------------


def is_assigned(session: Session, user: User, site: MemorialSite) -> bool:
    return (
        session.scalar(
            select(RangerAssignment.id).where(
                RangerAssignment.user_id == user.id, RangerAssignment.site_id == site.id
            )
        )
        is not None
    )


def may_report(session: Session, user: User, site: MemorialSite) -> bool:
    """Administrators everywhere; rangers on the sites they are assigned to."""
    if user.role is Role.ADMIN:
        return True
    return user.role is Role.RANGER and is_assigned(session, user, site)


def sites_for(session: Session, user: User) -> list[MemorialSite]:
    if user.role is Role.ADMIN:
        return list(session.scalars(select(MemorialSite).order_by(MemorialSite.code)))
    return list(
        session.scalars(
            select(MemorialSite)
            .join(RangerAssignment, RangerAssignment.site_id == MemorialSite.id)
            .where(RangerAssignment.user_id == user.id)
            .order_by(MemorialSite.code)
        )
    )


def rangers(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.role == Role.RANGER).order_by(User.email)))


def assignments(session: Session) -> list[RangerAssignment]:
    return list(
        session.scalars(
            select(RangerAssignment).order_by(RangerAssignment.site_id, RangerAssignment.user_id)
        )
    )


def assign(session: Session, ranger: User, site: MemorialSite, *, actor: User) -> RangerAssignment:
    """Assign a ranger to a site (idempotent)."""
    if ranger.role is not Role.RANGER:
        raise DomainError(_l("Only accounts with the ranger role can be assigned to a site."))
    existing = session.scalar(
        select(RangerAssignment).where(
            RangerAssignment.user_id == ranger.id, RangerAssignment.site_id == site.id
        )
    )
    if existing is not None:
        return existing
    assignment = RangerAssignment(user_id=ranger.id, site_id=site.id, assigned_by_id=actor.id)
    session.add(assignment)
    session.flush()
    audit.record(session, "ranger.assigned", actor=actor, subject=site, ranger=ranger.id)
    return assignment


def unassign(session: Session, ranger: User, site: MemorialSite, *, actor: User) -> bool:
    existing = session.scalar(
        select(RangerAssignment).where(
            RangerAssignment.user_id == ranger.id, RangerAssignment.site_id == site.id
        )
    )
    if existing is None:
        return False
    session.delete(existing)
    session.flush()
    audit.record(session, "ranger.unassigned", actor=actor, subject=site, ranger=ranger.id)
    return True


# ---- updates ------------------------------------------------------------------------


@dataclass(frozen=True)
class UpdateOutcome:
    update: PlotUpdate
    notify: list[User] = field(default_factory=list)  # sponsors to e-mail after the commit


def record_update(
    session: Session,
    plot: Plot,
    ranger: User,
    kind: PlotUpdateKind,
    survival: int | None,
    note: str,
    photos: Sequence[PreparedPhoto] = (),
    *,
    now: datetime | None = None,
    replanted: int | None = None,
) -> UpdateOutcome:
    """Record a ranger's update and move the plot; raises DomainError and changes nothing
    when the ranger is not assigned, the move is not allowed, or the input is invalid."""
    now = now or utcnow()
    if not may_report(session, ranger, plot.site):
        raise Forbidden(_l("You are not assigned to this site."))
    if not isinstance(kind, PlotUpdateKind):
        raise DomainError(_l("Please choose what happened to the plot."))
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise DomainError(_l("The note can have at most 1000 characters."))
    if survival is not None:
        if not 0 <= survival <= MAX_SURVIVAL:
            raise DomainError(_l("The survival count must be a whole number of trees."))
        if plot.tree_count is not None and survival > plot.tree_count:
            raise DomainError(
                _l(
                    "The survival count cannot exceed the %(n)s trees of this plot.",
                    n=plot.tree_count,
                )
            )
    if replanted is not None and not 0 <= replanted <= MAX_SURVIVAL:
        raise DomainError(_l("The number of trees replanted must be a whole number of trees."))
    if len(photos) > MAX_PHOTOS:
        raise DomainError(_l("At most 3 photos per update."))
    # Lock the plot and re-read its status: two rangers reporting at once move it in turn.
    session.refresh(plot, with_for_update=True)
    plot.status = plot_transition(plot.status, UPDATE_TARGET[kind])
    if kind in (PlotUpdateKind.PLANTED, PlotUpdateKind.REPLANTED):
        plot.planted_on = local_date(now)
    plot.updated_at = now
    update = PlotUpdate(
        plot_id=plot.id,
        kind=kind,
        survival_count=survival,
        replanted_count=replanted,
        note=note,
        ranger_id=ranger.id,
        created_at=now,
    )
    session.add(update)
    session.flush()
    for photo in photos:
        session.add(
            PlotPhoto(
                update_id=update.id,
                path=photo.relative_path,
                sha256=photo.sha256,
                width=photo.width,
                height=photo.height,
                size_bytes=len(photo.data),
                created_at=now,
            )
        )
    session.flush()
    audit.record(
        session,
        "plot.update",
        actor=ranger,
        subject=plot,
        kind=kind.value,
        status=plot.status.value,
        photos=len(photos) or None,
    )
    notify = [plot.sponsor] if plot.sponsor is not None else []
    return UpdateOutcome(update=update, notify=notify)
