"""Counting limits shared by every server (moving windows from the ``limits`` library that
Flask-Limiter is built on).

The storage is Redis when ``PHONE_THROTTLE_STORAGE_URI`` names it (by default ``REDIS_URL``,
else ``RATELIMIT_STORAGE_URI``), so two servers count together; without Redis it is this
process's memory (one counter per worker). Keys never carry a mobile number or code: the
caller passes :func:`key_digest` of them.
"""

from __future__ import annotations

import hashlib
import hmac

from flask_babel import lazy_gettext as _l
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from webapp.errors import DomainError


class ThrottleUnavailable(DomainError):
    """The shared counter cannot be reached: refuse (a limit that cannot be counted is not
    a limit) with a clear word, never a server error."""

    status = 503


_UNAVAILABLE = _l(
    "Sign-in with a mobile number is unavailable for a moment. Please try again in a few "
    "minutes, or sign in with your e-mail address."
)


class Throttle:
    def __init__(self, storage_uri: str) -> None:
        self.storage_uri = storage_uri
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))

    def hit(self, limits_text: str, *key: str) -> bool:
        """Count one event under ``key``; False (and not counted) when any limit is reached."""
        items = parse_many(limits_text)
        try:
            if not all(self._limiter.test(item, *key) for item in items):
                return False
            for item in items:
                self._limiter.hit(item, *key)
        except Exception as exc:  # the storage's own errors (redis, connection) vary
            raise ThrottleUnavailable(_UNAVAILABLE) from exc
        return True

    def allows(self, limits_text: str, *key: str) -> bool:
        try:
            return all(self._limiter.test(item, *key) for item in parse_many(limits_text))
        except Exception as exc:
            raise ThrottleUnavailable(_UNAVAILABLE) from exc


def key_digest(secret: str, value: str) -> str:
    """A stable, non-reversible key for a number or address (HMAC with the app secret)."""
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]


def storage_uri(config: dict) -> str:
    return (
        config.get("PHONE_THROTTLE_STORAGE_URI")
        or config.get("REDIS_URL")
        or config.get("RATELIMIT_STORAGE_URI")
        or "memory://"
    )
