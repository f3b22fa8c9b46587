"""Organisations, their members (owner / member) and invoice details."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.errors import DomainError, Forbidden, NotFound
from webapp.models import MemberRole, Organisation, OrganisationKind, OrganisationMember, User
from webapp.services import audit

MAX_NAME = 120
MAX_TITLE = 120
MAX_TAX_ID = 40
MAX_ADDRESS = 200


@dataclass(frozen=True)
class InvoiceDetails:
    title: str = ""  # 发票抬头
    tax_id: str = ""  # 税号
    address: str = ""


def _clean(text: str, limit: int, message: object) -> str | None:
    text = " ".join((text or "").split())
    if len(text) > limit:
        raise DomainError(message)
    return text or None


def _apply_invoice(org: Organisation, invoice: InvoiceDetails) -> None:
    org.invoice_title = _clean(
        invoice.title, MAX_TITLE, _l("The invoice title is at most 120 characters.")
    )
    org.invoice_tax_id = _clean(
        invoice.tax_id, MAX_TAX_ID, _l("The tax number is at most 40 characters.")
    )
    org.invoice_address = _clean(
        invoice.address, MAX_ADDRESS, _l("The address is at most 200 characters.")
    )


def create(
    session: Session,
    *,
    owner: User,
    name: str,
    kind: OrganisationKind,
    invoice: InvoiceDetails,
    is_demo: bool = False,
) -> Organisation:
    """A new organisation with ``owner`` as its first member (role owner)."""
    clean = _clean(name, MAX_NAME, _l("The name is at most 120 characters."))
    if clean is None:
        raise DomainError(_l("Please give the organisation's name."))
    org = Organisation(name=clean, kind=OrganisationKind(kind), is_demo=is_demo)
    _apply_invoice(org, invoice)
    session.add(org)
    session.flush()
    session.add(OrganisationMember(organisation_id=org.id, user_id=owner.id, role=MemberRole.OWNER))
    session.flush()
    audit.record(session, "organisation.created", actor=owner, subject=org, name=org.name)
    return org


def membership(session: Session, org: Organisation, user: User | None) -> OrganisationMember | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return session.scalar(
        select(OrganisationMember).where(
            OrganisationMember.organisation_id == org.id, OrganisationMember.user_id == user.id
        )
    )


def get_for_member(session: Session, org_id: int, user: User | None) -> Organisation:
    """The organisation if ``user`` is a member; NotFound otherwise (existence not revealed)."""
    org = session.get(Organisation, org_id)
    if org is None or membership(session, org, user) is None:
        raise NotFound(_l("We could not find that organisation."))
    return org


def require_owner(session: Session, org: Organisation, user: User) -> None:
    member = membership(session, org, user)
    if member is None or member.role is not MemberRole.OWNER:
        raise Forbidden(_l("Only the organisation's owners can do this."))


def for_user(session: Session, user: User) -> list[Organisation]:
    return list(
        session.scalars(
            select(Organisation)
            .join(OrganisationMember, OrganisationMember.organisation_id == Organisation.id)
            .where(OrganisationMember.user_id == user.id)
            .order_by(Organisation.name)
        )
    )


def update_invoice(
    session: Session, org: Organisation, *, actor: User, invoice: InvoiceDetails
) -> None:
    require_owner(session, org, actor)
    _apply_invoice(org, invoice)
    audit.record(session, "organisation.invoice_updated", actor=actor, subject=org)


def add_member(
    session: Session, org: Organisation, *, actor: User, email: str, role: MemberRole
) -> OrganisationMember:
    """An owner adds an existing account by e-mail (idempotent for an existing member)."""
    require_owner(session, org, actor)
    user = session.scalar(
        select(User).where(func.lower(User.email) == (email or "").strip().lower())
    )
    if user is None:
        raise DomainError(_l("No account uses that e-mail address; ask them to register first."))
    existing = membership(session, org, user)
    if existing is not None:
        return existing
    member = OrganisationMember(organisation_id=org.id, user_id=user.id, role=MemberRole(role))
    session.add(member)
    session.flush()
    audit.record(session, "organisation.member_added", actor=actor, subject=org, member=user.id)
    return member
