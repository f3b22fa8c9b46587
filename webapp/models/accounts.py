"""User accounts and roles."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String
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

    id: Mapped[int] = mapped_column(primary_key=True)
    # What session and remember-me cookies name the user by (Flask-Login's alternative id):
    # a new value ends every session and remember token made before it (logout, password
    # change or reset, "log out everywhere").
    session_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_session_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
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
    def can_pay_by_transfer(self) -> bool:
        """Bank transfer (对公转账) is for organisations and the staff acting for them."""
        return self.role in (Role.ORGANISER, Role.ADMIN)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


def email_key(email: str) -> str:
    """Lower-cased, trimmed e-mail used for uniqueness and look-ups."""
    return email.strip().lower()


__all__ = ["Role", "User", "email_key"]
