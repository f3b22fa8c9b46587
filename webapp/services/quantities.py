"""The one reader of quantities typed or sent by people: tonnes, kWh, km, people, meals,
amounts, shares, areas.

Every such value goes through :func:`to_decimal` (syntax: finite, plain decimal text of at
most 40 characters, JSON numbers, never booleans, exponents, NaN or infinities) and then
:func:`bounded` (range and decimal places) before any arithmetic, so a value such as
``1e28`` or ``sNaN`` is refused with a message instead of overflowing a ``quantize`` or
signalling ``InvalidOperation`` later.
"""

from __future__ import annotations

import math
import re
import unicodedata
from decimal import Context, Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

MAX_TEXT = 40  # characters accepted in a numeric string
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_TRAILING_WORD = re.compile(r"^(?P<number>.*?\d)\s*(?P<unit>[^\d\s.,+-].*)$")
# What people write after a number, per unit of a field (lower case, after NFKC).  A field
# reading tonnes accepts "3 t" and "3 吨"; another unit ("3 kg" in tonnes) is refused with a
# message naming the field's unit, never silently converted.
UNITS: dict[str, tuple[str, ...]] = {
    "t": ("t", "吨", "公吨", "tco2e", "t co2e", "t co₂e", "tonne", "tonnes", "ton", "tons"),
    "kg": ("kg", "公斤", "千克", "kgco2e", "kg co2e"),
    "kwh": ("kwh", "kw·h", "kw h", "度", "千瓦时"),
    "km": ("km", "公里", "千米"),
    "m3": ("m3", "m³", "立方米", "方"),
    "gj": ("gj", "吉焦"),
    "mu": ("mu", "亩"),
    "yuan": ("元", "yuan", "rmb", "cny"),
    "people": ("人", "people", "persons", "person"),
    "meals": ("餐", "份", "meals", "meal"),
    "nights": ("晚", "夜", "nights", "night"),
    "hours": ("小时", "h", "hr", "hrs", "hour", "hours"),
    "trees": ("棵", "株", "tree", "trees"),
}
UNIT_NAMES = {
    "t": _l("tonnes (t)"),
    "kg": _l("kilograms (kg)"),
    "kwh": _l("kilowatt-hours (kWh)"),
    "km": _l("kilometres (km)"),
    "m3": _l("cubic metres (m³)"),
    "gj": _l("gigajoules (GJ)"),
    "mu": _l("mu (亩)"),
    "yuan": _l("yuan (元)"),
    "people": _l("people"),
    "meals": _l("meals"),
    "nights": _l("nights"),
    "hours": _l("hours"),
    "trees": _l("trees"),
}
_CURRENCY_SIGNS = ("¥", "￥")
_WIDE = Context(prec=80)
ZERO = Decimal(0)


class InvalidQuantity(ValueError):
    """Not a usable quantity; ``message`` is a lazy, user-facing text."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def normalise_text(raw: str, *, unit: str | None = None) -> str:
    """What a person typed -> plain decimal text, or InvalidQuantity.

    Full-width digits and signs are folded (NFKC: "３０００" -> "3000"); digits may be grouped
    in threes with commas ("3,000", "1,200.50", the full-width "，" too) but any other
    grouping ("3,00,0", "1,0") is refused; a trailing unit is dropped when it is the
    field's ``unit`` (a key of :data:`UNITS`: "3000 kWh", "3 吨"), refused with the field's
    unit named when it is another unit, and refused as not a number otherwise."""
    text = unicodedata.normalize("NFKC", raw).strip().replace("\u3000", " ")
    if unit == "yuan" and text.startswith(_CURRENCY_SIGNS):
        text = text[1:].lstrip()
    match = _TRAILING_WORD.match(text)
    if match:
        word = " ".join(match["unit"].lower().split())
        if unit is not None and word in UNITS.get(unit, ()):
            text = match["number"].strip()
        elif unit is not None and any(word in words for words in UNITS.values()):
            raise InvalidQuantity(
                _l("Enter the number in %(unit)s.", unit=UNIT_NAMES.get(unit, unit))
            )
    if "," in text:
        if not _GROUPED.fullmatch(text):
            raise InvalidQuantity(
                _l("Group digits in threes (3,000 or 1,200.5), or leave out the commas.")
            )
        text = text.replace(",", "")
    return text


def to_decimal(raw: object, *, thousands: bool = True, unit: str | None = None) -> Decimal:
    """Untrusted scalar -> finite Decimal, or InvalidQuantity. Text goes through
    :func:`normalise_text` (digits grouped in threes with commas, full-width digits, the
    field's ``unit`` after the number); ``thousands=False`` refuses commas altogether."""
    if isinstance(raw, bool):
        raise InvalidQuantity(_l("Must be a number, not true or false."))
    if isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        if not math.isfinite(raw):
            raise InvalidQuantity(_l("Must be a finite number."))
        value = Decimal(repr(raw))
    elif isinstance(raw, Decimal):
        if not raw.is_finite():
            raise InvalidQuantity(_l("Must be a finite number."))
        value = raw
    elif isinstance(raw, str):
        if len(raw) > 2 * MAX_TEXT:
            raise InvalidQuantity(_l("Must be a plain decimal number such as 12.5."))
        text = normalise_text(raw, unit=unit) if thousands else raw.strip()
        if len(text) > MAX_TEXT or not _NUMBER.fullmatch(text):
            raise InvalidQuantity(_l("Must be a plain decimal number such as 12.5."))
        value = Decimal(text)
    else:
        raise InvalidQuantity(_l("Must be a number."))
    return ZERO if value == 0 else value


def places(value: Decimal) -> int:
    """Decimal places written (``12.50`` has 1 once normalised)."""
    exponent = value.normalize(_WIDE).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def bounded(
    value: Decimal,
    *,
    minimum: Decimal | int | None = None,
    maximum: Decimal | int | None = None,
    above: Decimal | int | None = None,
    max_places: int | None = None,
) -> Decimal:
    """``value`` if within the bounds (``above`` is an exclusive minimum), else InvalidQuantity."""
    if above is not None and value <= above:
        raise InvalidQuantity(_l("Must be more than %(min)s.", min=above))
    if minimum is not None and value < minimum:
        raise InvalidQuantity(_l("Must be at least %(min)s.", min=minimum))
    if maximum is not None and value > maximum:
        raise InvalidQuantity(_l("Must be at most %(max)s.", max=maximum))
    if max_places is not None and places(value) > max_places:
        raise InvalidQuantity(_l("Use at most %(places)s decimal places.", places=max_places))
    return value


def parse(
    raw: object,
    *,
    minimum: Decimal | int | None = None,
    maximum: Decimal | int | None = None,
    above: Decimal | int | None = None,
    max_places: int | None = None,
    thousands: bool = True,
    unit: str | None = None,
) -> Decimal:
    """:func:`to_decimal` then :func:`bounded`: the single entry for a user's quantity."""
    return bounded(
        to_decimal(raw, thousands=thousands, unit=unit),
        minimum=minimum,
        maximum=maximum,
        above=above,
        max_places=max_places,
    )


def optional(raw: object, **bounds: Any) -> Decimal | None:
    """:func:`parse`, or None for anything it refuses (a prefill from a link, say)."""
    try:
        return parse(raw, **bounds)
    except InvalidQuantity:
        return None
