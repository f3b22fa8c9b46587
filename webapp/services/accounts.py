"""Accounts: registration, authentication, passwords, roles."""

from __future__ import annotations

import hashlib
import hmac

from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.errors import Conflict, DomainError, NotFound
from webapp.models import Role, User
from webapp.models.accounts import email_key
from webapp.models.base import utcnow
from webapp.services import audit

PASSWORD_MIN = 8
PASSWORD_MAX = 128
_RESET_SALT = "tanhui.password-reset.v1"
# A real hash to compare against when the e-mail is unknown, so timing does not reveal accounts.
_DUMMY_HASH = generate_password_hash("not-a-real-password-0")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def check_password_rules(password: str) -> None:
    if not (PASSWORD_MIN <= len(password) <= PASSWORD_MAX):
        raise DomainError(
            _l(
                "Password must be between %(min)d and %(max)d characters.",
                min=PASSWORD_MIN,
                max=PASSWORD_MAX,
            )
        )


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email_key(email)))


def register(
    session: Session,
    *,
    email: str,
    password: str,
    display_name: str,
    role: Role = Role.RESIDENT,
    locale: str | None = None,
    ip: str | None = None,
) -> User:
    check_password_rules(password)
    display_name = display_name.strip()
    if not display_name:
        raise DomainError(_l("Please enter a display name."))
    if find_by_email(session, email) is not None:
        raise Conflict(_l("An account with this e-mail address already exists."))
    user = User(
        email=email_key(email),
        display_name=display_name,
        password_hash=hash_password(password),
        role=role,
        locale=locale,
    )
    session.add(user)
    session.flush()
    audit.record(session, "account.register", actor=user, subject=user, ip=ip, role=role.value)
    return user


def authenticate(session: Session, *, email: str, password: str, ip: str | None) -> User | None:
    user = find_by_email(session, email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        audit.record(session, "login.failed", ip=ip, reason="unknown_email")
        return None
    # An account made with a mobile number has no password until it binds an e-mail.
    stored = user.password_hash or _DUMMY_HASH
    if not check_password_hash(stored, password) or not user.password_hash or not user.is_active:
        audit.record(session, "login.failed", subject=user, ip=ip, reason="bad_password")
        return None
    user.last_login_at = utcnow()
    audit.record(session, "login.succeeded", actor=user, subject=user, ip=ip)
    return user


def change_password(
    session: Session, user: User, *, current: str, new: str, ip: str | None = None
) -> None:
    if not user.password_hash or not check_password_hash(user.password_hash, current):
        raise DomainError(_l("Your current password is not correct."))
    check_password_rules(new)
    user.password_hash = hash_password(new)
    # Other devices' sessions and remember-me cookies end; the caller logs this one in again.
    user.end_sessions()
    audit.record(session, "account.password_changed", actor=user, subject=user, ip=ip)


def end_sessions(session: Session, user: User, *, reason: str, ip: str | None = None) -> None:
    """Revoke every session and remember-me cookie of ``user`` (logout, "log out everywhere")."""
    user.end_sessions()
    audit.record(session, "account.sessions_ended", actor=user, subject=user, ip=ip, reason=reason)


def set_role(session: Session, user: User, role: Role, *, actor: User | None) -> None:
    if user.role is role:
        return
    old = user.role
    user.role = role
    audit.record(
        session, "account.role_changed", actor=actor, subject=user, old=old.value, new=role.value
    )


def set_locale(user: User, locale: str) -> None:
    user.locale = locale


def _fingerprint(user: User) -> str:
    # Changes whenever the password changes, so a used token cannot be replayed.
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def make_reset_token(secret_key: str, user: User) -> str:
    serializer = URLSafeTimedSerializer(secret_key, salt=_RESET_SALT)
    return serializer.dumps({"uid": user.id, "fp": _fingerprint(user)})


def reset_password(
    session: Session, *, secret_key: str, token: str, new: str, max_age: int, ip: str | None = None
) -> User:
    serializer = URLSafeTimedSerializer(secret_key, salt=_RESET_SALT)
    try:
        data = serializer.loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise DomainError(_l("This reset link has expired. Please request a new one.")) from exc
    except BadSignature as exc:
        raise DomainError(_l("This reset link is not valid.")) from exc
    user = session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None:
        raise NotFound(_l("This reset link is not valid."))
    if not hmac.compare_digest(str(data.get("fp")), _fingerprint(user)):
        raise DomainError(_l("This reset link has already been used."))
    check_password_rules(new)
    user.password_hash = hash_password(new)
    user.end_sessions()
    audit.record(session, "account.password_reset", actor=user, subject=user, ip=ip)
    return user
