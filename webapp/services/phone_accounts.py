"""Mobile-number accounts: numbers, one-time SMS codes, sign-in and binding.

Rules (docs/PROTOCOLS.md, "Mobile-number accounts"):

* a number is a mainland mobile number (1[3-9] and nine more digits), kept in E.164
  (+8613800138000) and shown masked (138****8000);
* a code is six random digits, valid ``PHONE_CODE_TTL_SECONDS`` (5 minutes), used once;
  only its HMAC-SHA256 under the app secret is stored, compared in constant time; a new
  code for the same number and purpose supersedes the older ones;
* each code takes ``PHONE_CODE_MAX_ATTEMPTS`` guesses (counted in its database row, so on
  every server); each number takes ``PHONE_VERIFY_LIMIT`` guesses, and is sent at most
  ``PHONE_SEND_LIMIT`` codes, each client address ``PHONE_SEND_ADDRESS_LIMIT`` (counted by
  the :class:`~webapp.services.throttle.Throttle`, Redis when configured).

Wrong guesses must be counted even though the answer is a refusal: :func:`sign_in` and
:func:`bind_phone` return an :class:`Outcome` instead of raising, so the caller commits.
Nothing here logs; the number and code never reach a log or an audit record.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp.errors import Conflict, DomainError
from webapp.models import CodePurpose, PhoneCode, Role, User
from webapp.models.accounts import email_key, mask_phone
from webapp.models.base import utcnow
from webapp.services import accounts, audit
from webapp.services.messages import SmsCodeRequested
from webapp.services.throttle import Throttle, key_digest
from webapp.unit_of_work import after_commit

CODE_DIGITS = 6
_MOBILE = re.compile(r"1[3-9]\d{9}")
_SEPARATORS = re.compile(r"[\s\-().\u00a0\u3000]")


class TooManyRequests(DomainError):
    status = 429


@dataclass(frozen=True)
class Limits:
    """The numbers of the rules, from the app's configuration."""

    secret: str
    ttl_seconds: int = 300
    max_attempts: int = 3
    verify_limit: str = "6 per hour"
    send_limit: str = "1 per minute;5 per hour"
    send_address_limit: str = "20 per hour"

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Limits:
        return cls(
            secret=config["SECRET_KEY"],
            ttl_seconds=int(config["PHONE_CODE_TTL_SECONDS"]),
            max_attempts=int(config["PHONE_CODE_MAX_ATTEMPTS"]),
            verify_limit=config["PHONE_VERIFY_LIMIT"],
            send_limit=config["PHONE_SEND_LIMIT"],
            send_address_limit=config["PHONE_SEND_ADDRESS_LIMIT"],
        )

    @property
    def minutes(self) -> int:
        return max(1, self.ttl_seconds // 60)


@dataclass(frozen=True)
class Outcome:
    user: User | None = None
    error: object | None = None  # a lazy localised message
    # The code cannot be used any more (expired, used, out of guesses): ask for a new one.
    new_code_needed: bool = False
    status: int = 400  # 429 when the number's guesses are used up for the hour

    @property
    def ok(self) -> bool:
        return self.user is not None


def normalise(raw: str | None) -> str:
    """A mainland mobile number in E.164, from what people type: "138 0013 8000",
    "+86 138-0013-8000", "8613800138000", "0086…", full-width digits."""
    text = unicodedata.normalize("NFKC", raw or "")
    text = _SEPARATORS.sub("", text)
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    if not _MOBILE.fullmatch(text):
        raise DomainError(
            _l("Please enter a mainland China mobile number of 11 digits, such as 138 0013 8000.")
        )
    return "+86" + text


def _digest(limits: Limits, purpose: CodePurpose, phone: str, code: str) -> str:
    message = f"tanhui.phone-code.v1|{purpose.value}|{phone}|{code}".encode()
    return hmac.new(limits.secret.encode(), message, hashlib.sha256).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def find_by_phone(session: Session, phone: str) -> User | None:
    return session.scalar(select(User).where(User.phone == phone))


def request_code(
    session: Session,
    *,
    phone: str,
    purpose: CodePurpose,
    limits: Limits,
    throttle: Throttle,
    address: str | None,
    user: User | None = None,
) -> None:
    """Make a code for ``phone`` and announce it for sending after the commit."""
    if purpose is CodePurpose.BIND:
        if user is None:
            raise DomainError(_l("Please log in to add a mobile number."))
        if user.phone == phone:
            raise DomainError(_l("This mobile number is already on your account."))
    number_key = key_digest(limits.secret, phone)
    address_key = key_digest(limits.secret, address or "unknown")
    if not throttle.allows(limits.send_address_limit, "phone-send-address", address_key):
        raise TooManyRequests(
            _l("Too many codes were requested from this network. Please try again later.")
        )
    if not throttle.hit(limits.send_limit, "phone-send-number", number_key):
        raise TooManyRequests(
            _l("A code was sent to this number very recently. Please wait before asking again.")
        )
    throttle.hit(limits.send_address_limit, "phone-send-address", address_key)
    now = utcnow()
    # Only the newest code of a number and purpose works.
    session.execute(
        update(PhoneCode)
        .where(
            PhoneCode.phone == phone,
            PhoneCode.purpose == purpose,
            PhoneCode.used_at.is_(None),
        )
        .values(used_at=now)
    )
    code = new_code()
    session.add(
        PhoneCode(
            phone=phone,
            purpose=purpose,
            user_id=user.id if user is not None else None,
            code_hash=_digest(limits, purpose, phone, code),
            attempts=0,
            created_at=now,
            expires_at=now + timedelta(seconds=limits.ttl_seconds),
        )
    )
    session.flush()
    audit.record(session, "phone.code_sent", actor=user, ip=address, purpose=purpose.value)
    after_commit(session, SmsCodeRequested(phone=phone, code=code, minutes=limits.minutes))


def _check(
    session: Session,
    *,
    phone: str,
    purpose: CodePurpose,
    code: str,
    limits: Limits,
    throttle: Throttle,
    user: User | None = None,
) -> Outcome | None:
    """None when ``code`` is right (and now used); else the refusal (the guess counted)."""
    code = unicodedata.normalize("NFKC", code or "").strip()
    if not throttle.hit(
        limits.verify_limit, "phone-verify-number", key_digest(limits.secret, phone)
    ):
        return Outcome(
            error=_l("Too many wrong codes for this number. Please try again in an hour."),
            new_code_needed=True,
            status=429,
        )
    now = utcnow()
    query = select(PhoneCode).where(
        PhoneCode.phone == phone, PhoneCode.purpose == purpose, PhoneCode.used_at.is_(None)
    )
    if user is not None:
        query = query.where(PhoneCode.user_id == user.id)
    row = session.scalar(query.order_by(PhoneCode.created_at.desc(), PhoneCode.id.desc()).limit(1))
    if row is None or row.expires_at <= now:
        return Outcome(
            error=_l("This code has expired or was already used. Please ask for a new one."),
            new_code_needed=True,
        )
    # Count the guess in the row itself, atomically: parallel guesses on any server share it.
    counted = session.execute(
        update(PhoneCode)
        .where(PhoneCode.id == row.id, PhoneCode.attempts < limits.max_attempts)
        .values(attempts=PhoneCode.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if counted != 1:
        return Outcome(
            error=_l("Too many wrong codes. Please ask for a new one."),
            new_code_needed=True,
            status=429,
        )
    expected = _digest(limits, purpose, phone, code if len(code) == CODE_DIGITS else "")
    if not hmac.compare_digest(expected, row.code_hash):
        return Outcome(error=_l("The code is not correct."))
    # Single use: only one request can mark it.
    used = session.execute(
        update(PhoneCode)
        .where(PhoneCode.id == row.id, PhoneCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if used != 1:
        return Outcome(
            error=_l("This code has expired or was already used. Please ask for a new one."),
            new_code_needed=True,
        )
    return None


def sign_in(
    session: Session,
    *,
    phone: str,
    code: str,
    limits: Limits,
    throttle: Throttle,
    display_name: str | None = None,
    locale: str | None = None,
    ip: str | None = None,
) -> Outcome:
    """Sign in with a number and its code; a number without an account gets one."""
    refused = _check(
        session,
        phone=phone,
        purpose=CodePurpose.SIGN_IN,
        code=code,
        limits=limits,
        throttle=throttle,
    )
    if refused is not None:
        audit.record(session, "login.failed", ip=ip, reason="bad_phone_code")
        return refused
    user = find_by_phone(session, phone)
    if user is None:
        user = User(
            phone=phone,
            display_name=(display_name or "").strip() or mask_phone(phone),
            role=Role.RESIDENT,
            locale=locale,
        )
        session.add(user)
        session.flush()
        audit.record(session, "account.register", actor=user, subject=user, ip=ip, via="phone")
    elif not user.is_active:
        audit.record(session, "login.failed", subject=user, ip=ip, reason="inactive")
        return Outcome(error=_l("This account is disabled."))
    user.last_login_at = utcnow()
    audit.record(session, "login.succeeded", actor=user, subject=user, ip=ip, via="phone")
    return Outcome(user=user)


def bind_phone(
    session: Session,
    user: User,
    *,
    phone: str,
    code: str,
    limits: Limits,
    throttle: Throttle,
    ip: str | None = None,
) -> Outcome:
    """Add a verified mobile number to a signed-in account."""
    refused = _check(
        session,
        phone=phone,
        purpose=CodePurpose.BIND,
        code=code,
        limits=limits,
        throttle=throttle,
        user=user,
    )
    if refused is not None:
        return refused
    # Told only to whoever holds the code, so the page cannot be used to probe numbers.
    other = find_by_phone(session, phone)
    if other is not None and other.id != user.id:
        return Outcome(
            error=_l("This mobile number belongs to another account."), new_code_needed=True
        )
    user.phone = phone
    _flush_unique(session, _l("This mobile number belongs to another account."))
    audit.record(session, "account.phone_bound", actor=user, subject=user, ip=ip)
    return Outcome(user=user)


def bind_email(
    session: Session, user: User, *, email: str, password: str, ip: str | None = None
) -> None:
    """Give an account made with a mobile number an e-mail address and a password."""
    if user.email is not None:
        raise DomainError(_l("Your account already has an e-mail address."))
    accounts.check_password_rules(password)
    if accounts.find_by_email(session, email) is not None:
        raise Conflict(_l("An account with this e-mail address already exists."))
    user.email = email_key(email)
    user.password_hash = accounts.hash_password(password)
    _flush_unique(session, _l("An account with this e-mail address already exists."))
    audit.record(session, "account.email_bound", actor=user, subject=user, ip=ip)


def _flush_unique(session: Session, message: object) -> None:
    """Flush in a savepoint: another request that took the same number or address a moment
    earlier (the unique constraint) is a clear conflict, not a server error."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(message) from exc
