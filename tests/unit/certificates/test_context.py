"""Validation of the plain-data certificate context."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tests.support.certificates import PID, make, make_context, make_details
from webapp.services.certificates.context import (
    MAX_NAME,
    CertificateContext,
    EventDetails,
)


def test_contexts_are_frozen_and_keyword_only() -> None:
    ctx, details = make("offset")
    with pytest.raises(FrozenInstanceError):
        ctx.holder_name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        CertificateContext("offset", PID)  # type: ignore[misc]
    assert isinstance(details.serial_ranges, tuple)  # a list was passed in


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("kind", "gift", ValueError),
        ("public_id", "7K3MPQ9XR0", ValueError),  # 0 is not in the alphabet
        ("public_id", "../../etc", ValueError),
        ("locale", "fr", ValueError),
        ("holder_name", "", ValueError),
        ("holder_name", "   ", ValueError),
        ("holder_name", "x" * (MAX_NAME + 1), ValueError),
        ("holder_name", "欧阳\u0000明月", ValueError),
        ("holder_name", "欧阳\n明月", ValueError),
        ("holder_name", "欧阳\u2028明月", ValueError),
        ("holder_name", 42, TypeError),
        ("issued_on", "2025-03-15", TypeError),
        ("qr_text", "https://lowercase/v/x", ValueError),
        ("verify_url", "javascript:alert(1)", ValueError),
        ("verify_url", "file:///etc/passwd", ValueError),
        ("design_version", "../1", ValueError),
        ("revoked", "yes", TypeError),
    ],
)
def test_context_rejects(field: str, value: object, error: type[Exception]) -> None:
    ctx, _ = make("offset")
    with pytest.raises(error):
        replace(ctx, **{field: value})


def test_qr_text_must_belong_to_the_certificate() -> None:
    details = make_details("offset")
    other = make_context("offset", details, public_id="22222ABCDE")
    with pytest.raises(ValueError, match="another public id"):
        make_context("offset", details, qr_text=other.qr_text)


@pytest.mark.parametrize(
    "overrides",
    [
        {"quantity_kg": 0},
        {"quantity_kg": 1.5},
        {"serial_ranges": []},
        {"serial_ranges": "TH-1-2"},
        {"serial_ranges": ["th lower case"]},
        {"serial_ranges": ["X" * 49]},
        {"delivery": "maybe"},
        {"delivery": "projected"},  # needs expected_years
        {"delivery": "verified", "expected_years": "2027–2031"},
        {"purpose_zh": "碳" * 41},
    ],
)
def test_offset_details_reject(overrides: dict[str, object]) -> None:
    with pytest.raises((ValueError, TypeError)):
        make_details("offset", **overrides)


@pytest.mark.parametrize(
    "overrides",
    [
        {"trees": None, "area_mu": None},
        {"trees": 0},
        {"area_mu": Decimal("-1")},
        {"area_mu": Decimal("NaN")},
        {"area_mu": 1.5},
        {"projected_t_per_year": Decimal("0")},
        {"dedication_message": "x" * 121},
        {"dedication_message": "tab\there"},
    ],
)
def test_plot_details_reject(overrides: dict[str, object]) -> None:
    with pytest.raises((ValueError, TypeError)):
        make_details("plot", **overrides)


def test_plot_dedication_may_have_line_breaks() -> None:
    assert make_details("plot", dedication_message="愿你\n如树般成长").dedication_message


def test_zero_carbon_needs_the_whole_footprint_retired() -> None:
    with pytest.raises(ValueError, match="retired_kg >= footprint_kg"):
        make_details("event", footprint_kg=1000, retired_kg=999)
    details = make_details("event", footprint_kg=1000, retired_kg=1000)
    assert isinstance(details, EventDetails)


def test_issued_on_must_be_a_date_not_a_datetime() -> None:
    ctx, _ = make("offset")
    with pytest.raises(TypeError):
        replace(ctx, issued_on=datetime(2025, 3, 15, tzinfo=UTC))
    assert replace(ctx, issued_on=date(2025, 3, 16)).issued_on == date(2025, 3, 16)
