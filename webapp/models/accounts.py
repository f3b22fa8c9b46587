"""User accounts and roles."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.models.base import Base, UTCDateTime, str_enum, utcnow


class Role(enum.StrEnum):
    RESIDENT = "resident"
    ORGANISER = "organiser"
    RANGER = "ranger"
    ADMIN = "admin"


def new_session_id() -> str:
    return secrets.token_hex(16)


class User(UserMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        # An account is reached by an e-mail address, a mobile number or both.
        CheckConstraint("email IS NOT NULL OR phone IS NOT NULL", name="email_or_phone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What session and remember-me cookies name the user by (Flask-Login's alternative id):
    # a new value ends every session and remember token made before it (logout, password
    # change or reset, "log out everywhere").
    session_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_session_id)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    # Mainland mobile number in E.164 (+8613800138000); shown masked (138****8000).
    phone: Mapped[str | None] = mapped_column(String(16), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    # None for an account made with a mobile number until it binds an e-mail and password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        str_enum(Role, length=16),
        default=Role.RESIDENT,
    )
    locale: Mapped[str | None] = mapped_column(String(8))
    is_active_account: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def get_id(self) -> str:
        return self.session_id

    def end_sessions(self) -> None:
        self.session_id = new_session_id()

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled accounts cannot log in
        return self.is_active_account

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def can_propose_planting_days(self) -> bool:
        """Organisations (and staff) propose planting days for staff to approve."""
        return self.role in (Role.ORGANISER, Role.ADMIN)

    @property
    def can_pay_by_transfer(self) -> bool:
        """Bank transfer (对公转账) is for organisations and the staff acting for them."""
        return self.role in (Role.ORGANISER, Role.ADMIN)

    @property
    def masked_phone(self) -> str | None:
        return mask_phone(self.phone) if self.phone else None

    @property
    def contact(self) -> str:
        """What staff pages show to name the account: the e-mail, else the masked number."""
        return self.email or self.masked_phone or ""

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class CodePurpose(enum.StrEnum):
    SIGN_IN = "sign_in"  # sign in, or register when no account has the number
    BIND = "bind"  # a signed-in account adds this number


class PhoneCode(Base):
    """A one-time SMS code: only its HMAC is stored; single use, short-lived, few attempts."""

    __tablename__ = "phone_codes"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        CheckConstraint("purpose <> 'bind' OR user_id IS NOT NULL", name="bind_has_user"),
        Index("ix_phone_codes_phone_created", "phone", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[CodePurpose] = mapped_column(str_enum(CodePurpose, length=16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def email_key(email: str) -> str:
    """Lower-cased, trimmed e-mail used for uniqueness and look-ups."""
    return email.strip().lower()


def mask_phone(e164: str) -> str:
    """+8613800138000 → 138****8000: the only form a number is shown or logged in."""
    national = e164[3:] if e164.startswith("+86") else e164.lstrip("+")
    if len(national) < 8:
        return "*" * len(national)
    return f"{national[:3]}****{national[-4:]}"


__all__ = ["CodePurpose", "PhoneCode", "Role", "User", "email_key", "mask_phone"]
