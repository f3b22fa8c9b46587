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
from decimal import Context, Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

MAX_TEXT = 40  # characters accepted in a numeric string
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_WIDE = Context(prec=80)
ZERO = Decimal(0)


class InvalidQuantity(ValueError):
    """Not a usable quantity; ``message`` is a lazy, user-facing text."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def to_decimal(raw: object, *, thousands: bool = False) -> Decimal:
    """Untrusted scalar -> finite Decimal, or InvalidQuantity. With ``thousands``, text may
    group digits with commas ("1,200.50")."""
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
        text = raw.strip()
        if thousands and _GROUPED.fullmatch(text):
            text = text.replace(",", "")
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
    thousands: bool = False,
) -> Decimal:
    """:func:`to_decimal` then :func:`bounded`: the single entry for a user's quantity."""
    return bounded(
        to_decimal(raw, thousands=thousands),
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
