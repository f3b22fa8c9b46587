"""Organisations propose planting days; staff approve or decline them (issue 19).

A proposal is a planting day in state PROPOSED, with the same facts and checks as a day
staff schedule (``days.build``) plus the proposer and a note to staff. It is never public
(``PUBLIC_DAY_STATUSES``): no page, API, scanner pack, e-mail or count shows it until a
staff member other than its proposer approves it — then it is SCHEDULED and behaves exactly
like a day staff scheduled. Approval re-checks the date and the plots under the plots' row
locks. The proposer may withdraw it while it waits; a decline needs a reason. The proposer
is e-mailed about the decision after the commit (``PlantingProposalDecided``).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.errors import Conflict, DomainError, Forbidden
from webapp.models import MemorialSite, PlantingDay, PlantingDayStatus, Role, User
from webapp.models.base import utcnow
from webapp.models.planting import MAX_DECLINE_REASON, MAX_PROPOSAL_NOTE
from webapp.services import audit, text_policy
from webapp.services.messages import PlantingProposalDecided
from webapp.services.planting import days
from webapp.unit_of_work import after_commit

MAY_PROPOSE = (Role.ORGANISER, Role.ADMIN)


def _text(value: str, limit: int, field: str) -> str:
    try:
        return text_policy.clean(value or "", multiline=True, limit=limit)
    except text_policy.TextRefused as exc:
        raise DomainError(_l("%(field)s: %(problem)s", field=field, problem=exc.message)) from exc


def propose(
    session: Session,
    site: MemorialSite,
    data: days.DayInput,
    note: str,
    *,
    proposer: User,
    now: datetime | None = None,
    is_demo: bool = False,
) -> PlantingDay:
    """A day proposed by an organisation (or a staff member), waiting for staff's decision."""
    now = now or utcnow()
    if not proposer.can_propose_planting_days:
        raise Forbidden(_l("Only organisations can propose planting days."))
    note = _text(note, MAX_PROPOSAL_NOTE, str(_l("Note to staff")))
    if not note:
        raise DomainError(_l("Please tell staff who you are and why you propose this day."))
    day = days.build(
        session,
        site,
        data,
        actor=proposer,
        status=PlantingDayStatus.PROPOSED,
        now=now,
        is_demo=is_demo,
    )
    day.proposed_by_id = proposer.id
    day.proposal_note = note
    session.flush()
    audit.record(session, "planting_day.propose", actor=proposer, subject=day, code=day.code)
    return day


def approve(
    session: Session, day: PlantingDay, *, actor: User, now: datetime | None = None
) -> PlantingDay:
    """Staff approve a proposal: it becomes a scheduled (public) day. Four eyes: never the
    proposer. The date must still be ahead and the plots still free and plantable."""
    now = now or utcnow()
    if actor.role is not Role.ADMIN:
        raise Forbidden(_l("Only staff can approve a proposed planting day."))
    days.lock(session, day)
    target = days.day_transition(day.status, PlantingDayStatus.SCHEDULED)
    if day.proposed_by_id == actor.id:
        raise Forbidden(_l("You proposed this day: another staff member must approve it."))
    if day.starts_at <= now:
        raise Conflict(_l("This proposed day has already begun: it can only be declined now."))
    days.check_plots(session, day.site, [p.id for p in day.plots], now, other_than=day)
    day.status = target
    day.approved_by_id = actor.id
    day.approved_at = now
    session.flush()
    audit.record(session, "planting_day.approve", actor=actor, subject=day, code=day.code)
    after_commit(session, PlantingProposalDecided(day.id))
    return day


def decline(
    session: Session, day: PlantingDay, reason: str, *, actor: User, now: datetime | None = None
) -> PlantingDay:
    """Staff decline a proposal, saying why (the proposer reads the reason)."""
    now = now or utcnow()
    if actor.role is not Role.ADMIN:
        raise Forbidden(_l("Only staff can decline a proposed planting day."))
    days.lock(session, day)
    target = days.day_transition(day.status, PlantingDayStatus.DECLINED)
    reason = _text(reason, MAX_DECLINE_REASON, str(_l("Reason")))
    if not reason:
        raise DomainError(_l("Please tell the proposer why the day is declined."))
    day.status = target
    day.declined_by_id = actor.id
    day.declined_at = now
    day.decline_reason = reason
    session.flush()
    audit.record(session, "planting_day.decline", actor=actor, subject=day, reason=reason)
    after_commit(session, PlantingProposalDecided(day.id))
    return day


def withdraw(
    session: Session, day: PlantingDay, *, actor: User, now: datetime | None = None
) -> PlantingDay:
    """The proposer withdraws their proposal while it waits for a decision."""
    now = now or utcnow()
    if day.proposed_by_id != actor.id:
        raise Forbidden(_l("Only the proposer can withdraw a proposal."))
    days.lock(session, day)
    target = days.day_transition(day.status, PlantingDayStatus.WITHDRAWN)
    day.status = target
    day.withdrawn_at = now
    session.flush()
    audit.record(session, "planting_day.withdraw", actor=actor, subject=day, code=day.code)
    return day


def pending(session: Session) -> list[PlantingDay]:
    """Proposals waiting for staff, oldest first."""
    return list(
        session.scalars(
            select(PlantingDay)
            .where(PlantingDay.status == PlantingDayStatus.PROPOSED)
            .order_by(PlantingDay.created_at, PlantingDay.id)
        )
    )


def of_proposer(session: Session, user: User) -> list[PlantingDay]:
    """Everything ``user`` proposed, newest first."""
    return list(
        session.scalars(
            select(PlantingDay)
            .where(PlantingDay.proposed_by_id == user.id)
            .order_by(PlantingDay.created_at.desc(), PlantingDay.id.desc())
        )
    )


def proposal_by_code(session: Session, user: User, code: str) -> PlantingDay | None:
    """``user``'s own proposal with that code (None for anyone else's)."""
    if not isinstance(code, str) or len(code) > 12:
        return None
    return session.scalar(
        select(PlantingDay).where(
            PlantingDay.code == code.upper(), PlantingDay.proposed_by_id == user.id
        )
    )
