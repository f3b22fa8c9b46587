"""One numeric parser (services/quantities) and one text policy (services/text_policy)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import webapp
from webapp.services import quantities, text_policy


@pytest.mark.parametrize(
    "raw", ["1e28", "1E29", "1e308", "NaN", "sNaN", "-sNaN", "Infinity", "-inf", "0x10", "", "1,0"]
)
def test_the_quantity_reader_refuses_what_is_not_a_plain_finite_number(raw):
    with pytest.raises(quantities.InvalidQuantity):
        quantities.to_decimal(raw)


def test_bounds_are_checked_before_any_arithmetic():
    with pytest.raises(quantities.InvalidQuantity):
        quantities.parse("9" * 39, maximum=100)
    assert quantities.parse("1,200.50", thousands=True, maximum=2000) == Decimal("1200.50")
    with pytest.raises(quantities.InvalidQuantity):
        quantities.parse("0.0001", max_places=3)
    assert quantities.optional("sNaN", above=0) is None


@pytest.mark.parametrize(
    ("raw", "unit", "expected"),
    [
        ("3,000", None, "3000"),
        ("-1,200.50", None, "-1200.50"),
        ("３０００", None, "3000"),
        ("３，０００．５", None, "3000.5"),
        ("3000 kWh", "kwh", "3000"),
        ("3000度", "kwh", "3000"),
        ("3 吨", "t", "3"),
        ("2.5 t CO2e", "t", "2.5"),
        ("¥ 1,200", "yuan", "1200"),
        ("300 人", "people", "300"),
    ],
)
def test_the_quantity_reader_takes_numbers_as_people_write_them(raw, unit, expected):
    assert quantities.to_decimal(raw, unit=unit) == Decimal(expected)


@pytest.mark.parametrize(
    ("raw", "unit", "message"),
    [
        ("3,00,0", None, "Group digits in threes (3,000 or 1,200.5), or leave out the commas."),
        ("1,0", None, "Group digits in threes (3,000 or 1,200.5), or leave out the commas."),
        ("3 kg", "t", "Enter the number in tonnes (t)."),
        ("3000 kWh", None, "Must be a plain decimal number such as 12.5."),
        ("3 tonnes of CO2", "t", "Must be a plain decimal number such as 12.5."),
        ("abc", "t", "Must be a plain decimal number such as 12.5."),
        ("1e9", None, "Must be a plain decimal number such as 12.5."),
        ("1e9 t", "t", "Must be a plain decimal number such as 12.5."),
        ("吨", "t", "Must be a plain decimal number such as 12.5."),
    ],
)
def test_the_quantity_reader_still_refuses_garbage_with_a_message(raw, unit, message):
    with pytest.raises(quantities.InvalidQuantity) as info:
        quantities.to_decimal(raw, unit=unit)
    assert str(info.value.message) == message
    with pytest.raises(quantities.InvalidQuantity):
        quantities.parse("-3,000", minimum=0)


@pytest.mark.parametrize(
    "name", ["a\u202eb", "a\u200bb", "a\u2066b\u2069", "\ufeffname", "a\u0000b", "a\u2028b"]
)
def test_text_policy_refuses_invisible_and_direction_characters(name):
    with pytest.raises(text_policy.TextRefused):
        text_policy.clean(name)
    assert text_policy.clean(" 林小树 ") == "林小树"
    assert text_policy.clean("e\u0301") == "\u00e9"  # NFC
    assert text_policy.clean("line one\r\nline two", multiline=True) == "line one\nline two"


def test_every_form_uses_the_one_text_filter():
    root = Path(webapp.__file__).parent
    assert not [p for p in root.rglob("*.py") if "def _strip" in p.read_text(encoding="utf-8")]
