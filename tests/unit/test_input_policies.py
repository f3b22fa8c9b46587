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
