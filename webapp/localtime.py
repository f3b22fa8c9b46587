"""The time zone people read dates and times in: ``TIMEZONE`` (Asia/Shanghai by default).

Times are stored as aware UTC (``models.base.UTCDateTime``). Whatever a person reads — a
page, a PDF, a CSV, an e-mail, the scanner — is converted here (pages through Flask-Babel's
``datetimeformat``, which uses the same zone), and a day that matters to people (a
certificate's issue date, a planting date, a visit's day) is the *local* day: an order paid
at 05:33 on 5 December in Beijing is issued on 5 December, not on the UTC 4th.
Machine-readable JSON keeps ISO 8601 with its offset.

The zone is a deployment setting, configured once at app creation; services read it from
here rather than receiving it through every call.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Shanghai"
_zone = ZoneInfo(DEFAULT_ZONE)


def configure(name: str) -> None:
    global _zone
    _zone = ZoneInfo(name)


def zone() -> ZoneInfo:
    return _zone


def local(ts: datetime) -> datetime:
    """``ts`` (aware) in the local zone."""
    return ts.astimezone(_zone)


def local_date(ts: datetime) -> date:
    return ts.astimezone(_zone).date()


def today(now: datetime | None = None) -> date:
    return local_date(now or datetime.now(UTC))


def local_iso(ts: datetime | None) -> str:
    """For files people open (CSV): local time to the second with its offset."""
    return "" if ts is None else local(ts).isoformat(timespec="seconds")
