"""Plain-data context of a certificate PDF.

The renderer receives only these frozen dataclasses — never ORM objects — so a PDF
depends on nothing but the values printed on it, and rendering can run in a worker
after the commit. Every value is validated here, once: lengths are bounded so that
the layout provably fits one A4 page, and control characters are refused because
they would print as nothing (or as a box) on a legal document.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal
from urllib.parse import urlsplit

from webapp.services.certificates.ids import is_public_id
from webapp.services.certificates.token import QR_ALPHANUMERIC, CertificateKind, parse_qr_text

# Bump whenever templates/certificates/, static/certificates/ or the renderer change what
# a certificate looks like: stored PDFs of an older design are re-rendered on next download.
DESIGN_VERSION = "2026.2"

Kind = Literal["offset", "plot", "event"]
Locale = Literal["zh", "en"]
Delivery = Literal["verified", "projected"]

# Length limits keep the longest valid certificate on one page (a test renders it).
# Chinese characters print twice as wide as Latin ones, so *_ZH limits are halved.
MAX_NAME = 60
MAX_SHORT = 40
MAX_SHORT_ZH = 20
MAX_TEXT = 80
MAX_TEXT_ZH = 40
MAX_EVENT_NAME = 60
MAX_DEDICATION = 120
MAX_SERIAL_RANGE = 48
MAX_URL = 200

_SERIAL_RANGE = re.compile(r"[0-9A-Z][0-9A-Z-]*")
DESIGN_VERSION_PATTERN = re.compile(r"[0-9A-Za-z][0-9A-Za-z.-]{0,31}")


def _text(value: object, field: str, max_len: int, *, multiline: bool = False) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{field} must be a str")
    if not value.strip():
        raise ValueError(f"{field} must not be blank")
    if len(value) > max_len:
        raise ValueError(f"{field} is longer than {max_len} characters")
    allowed = {"\n"} if multiline else set()
    for char in value:
        if char not in allowed and unicodedata.category(char) in {"Cc", "Cs", "Zl", "Zp"}:
            raise ValueError(f"{field} contains the control character U+{ord(char):04X}")
    return value


def _count(value: object, field: str, *, allow_zero: bool = False) -> int:
    if type(value) is not int or value < (0 if allow_zero else 1):
        raise ValueError(f"{field} must be a {'non-negative' if allow_zero else 'positive'} int")
    return value


def _positive_decimal(value: object, field: str) -> None:
    if value is None:
        return
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        raise ValueError(f"{field} must be a positive finite Decimal or None")


def _serial_ranges(value: Sequence[str]) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError("serial_ranges must be a sequence of str")
    ranges = tuple(value)
    if not ranges:
        raise ValueError("serial_ranges must not be empty")
    for item in ranges:
        if (
            not isinstance(item, str)
            or len(item) > MAX_SERIAL_RANGE
            or not _SERIAL_RANGE.fullmatch(item)
        ):
            raise ValueError(f"invalid serial range {item!r}")
    return ranges


def _delivery(delivery: object, expected_years: str | None) -> None:
    if delivery not in ("verified", "projected"):
        raise ValueError("delivery must be 'verified' or 'projected'")
    if delivery == "projected":
        _text(expected_years, "expected_years", MAX_SHORT)
    elif expected_years is not None:
        raise ValueError("expected_years is only for projected credits")


@dataclass(frozen=True, kw_only=True)
class CertificateContext:
    """What every certificate shows, whatever its kind."""

    kind: Kind
    public_id: str
    locale: Locale
    holder_name: str
    issued_on: date
    qr_text: str  # token.qr_text(...): the uppercase signed verification URL
    verify_url: str  # human-readable, e.g. "https://tanhui.example.cn/v/7K3MPQ9XRT"
    design_version: str = DESIGN_VERSION
    revoked: bool = False

    def __post_init__(self) -> None:
        CertificateKind(self.kind)  # ValueError on an unknown kind
        if not is_public_id(self.public_id):
            raise ValueError(f"invalid public id {self.public_id!r}")
        if self.locale not in ("zh", "en"):
            raise ValueError("locale must be 'zh' or 'en'")
        _text(self.holder_name, "holder_name", MAX_NAME)
        if type(self.issued_on) is not date:
            raise TypeError("issued_on must be a date")
        if not self.qr_text or set(self.qr_text) - QR_ALPHANUMERIC:
            raise ValueError("qr_text must be QR-alphanumeric (use token.qr_text)")
        # The QR code must belong to this certificate, not to another one.
        if parse_qr_text(self.qr_text)[0] != self.public_id:
            raise ValueError("qr_text is for another public id")
        url = urlsplit(self.verify_url)
        if url.scheme not in ("http", "https") or not url.netloc or len(self.verify_url) > MAX_URL:
            raise ValueError("verify_url must be an http(s) URL")
        if not DESIGN_VERSION_PATTERN.fullmatch(self.design_version):
            raise ValueError(f"invalid design version {self.design_version!r}")
        if type(self.revoked) is not bool:
            raise TypeError("revoked must be a bool")


@dataclass(frozen=True, kw_only=True)
class OffsetDetails:
    """Retired credits offsetting a resident's or organisation's emissions."""

    quantity_kg: int
    project_name_zh: str
    project_name_en: str
    project_code: str
    serial_ranges: Sequence[str]  # stored as a tuple
    purpose_zh: str  # e.g. "2025 年日常工作生活碳足迹"
    purpose_en: str  # e.g. "my 2025 daily work and life footprint"
    delivery: Delivery
    expected_years: str | None = None  # e.g. "2027–2031"; required when projected

    def __post_init__(self) -> None:
        _count(self.quantity_kg, "quantity_kg")
        _text(self.project_name_zh, "project_name_zh", MAX_TEXT_ZH)
        _text(self.project_name_en, "project_name_en", MAX_TEXT)
        _text(self.project_code, "project_code", MAX_SHORT)
        object.__setattr__(self, "serial_ranges", _serial_ranges(self.serial_ranges))
        _text(self.purpose_zh, "purpose_zh", MAX_TEXT_ZH)
        _text(self.purpose_en, "purpose_en", MAX_TEXT)
        _delivery(self.delivery, self.expected_years)


@dataclass(frozen=True, kw_only=True)
class PlotDetails:
    """Sponsorship of a plot at a memorial forest: a contribution, not an offset."""

    site_name_zh: str
    site_name_en: str
    plot_code: str
    location_zh: str
    location_en: str
    trees: int | None
    area_mu: Decimal | None
    species_zh: str
    species_en: str
    dedication_kind_zh: str  # e.g. "纪念树"
    dedication_kind_en: str  # e.g. "memorial tree"
    dedication_message: str | None
    projected_t_per_year: Decimal | None
    projected_years: str  # e.g. "2026–2055"

    def __post_init__(self) -> None:
        _text(self.site_name_zh, "site_name_zh", MAX_TEXT_ZH)
        _text(self.site_name_en, "site_name_en", MAX_TEXT)
        _text(self.plot_code, "plot_code", MAX_SHORT)
        _text(self.location_zh, "location_zh", MAX_TEXT_ZH)
        _text(self.location_en, "location_en", MAX_TEXT)
        if self.trees is not None:
            _count(self.trees, "trees")
        _positive_decimal(self.area_mu, "area_mu")
        if self.trees is None and self.area_mu is None:
            raise ValueError("a plot has trees, an area, or both")
        _text(self.species_zh, "species_zh", MAX_SHORT_ZH)
        _text(self.species_en, "species_en", MAX_SHORT)
        _text(self.dedication_kind_zh, "dedication_kind_zh", MAX_SHORT_ZH)
        _text(self.dedication_kind_en, "dedication_kind_en", MAX_SHORT)
        if self.dedication_message is not None:
            _text(self.dedication_message, "dedication_message", MAX_DEDICATION, multiline=True)
        _positive_decimal(self.projected_t_per_year, "projected_t_per_year")
        _text(self.projected_years, "projected_years", MAX_SHORT)


@dataclass(frozen=True, kw_only=True)
class EventDetails:
    """A meeting or event whose whole footprint was offset with retired credits."""

    event_name: str
    event_kind_zh: str  # e.g. "学术会议"
    event_kind_en: str  # e.g. "academic conference"
    event_dates: str  # e.g. "2025-03-14 – 2025-03-15"
    footprint_kg: int
    retired_kg: int
    serial_ranges: Sequence[str]  # stored as a tuple
    delivery: Delivery
    expected_years: str | None = None
    meeting: bool = False  # 零碳会议 (meeting) rather than 零碳活动 (event) in the Chinese title

    def __post_init__(self) -> None:
        _text(self.event_name, "event_name", MAX_EVENT_NAME)
        _text(self.event_kind_zh, "event_kind_zh", MAX_SHORT_ZH)
        _text(self.event_kind_en, "event_kind_en", MAX_SHORT)
        _text(self.event_dates, "event_dates", MAX_SHORT)
        _count(self.footprint_kg, "footprint_kg")
        _count(self.retired_kg, "retired_kg")
        # "Zero-carbon" is only true when the whole footprint is covered: refuse to print
        # the claim otherwise rather than over-claim on a public document.
        if self.retired_kg < self.footprint_kg:
            raise ValueError("a zero-carbon certificate needs retired_kg >= footprint_kg")
        object.__setattr__(self, "serial_ranges", _serial_ranges(self.serial_ranges))
        _delivery(self.delivery, self.expected_years)
        if type(self.meeting) is not bool:
            raise TypeError("meeting must be a bool")


Details = OffsetDetails | PlotDetails | EventDetails

DETAILS_BY_KIND: dict[str, type[OffsetDetails | PlotDetails | EventDetails]] = {
    "offset": OffsetDetails,
    "plot": PlotDetails,
    "event": EventDetails,
}


ELLIPSIS = "…"


class IncompleteCertificateError(ValueError):
    """The certificate lacks registry facts its PDF must show (e.g. no allocation)."""


def fit(text: str, limit: int) -> str:
    """``text`` on one line, without control characters, cut to ``limit`` with an ellipsis."""
    cleaned = "".join(
        " " if unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Zl", "Zp"} else ch for ch in text
    )
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + ELLIPSIS
