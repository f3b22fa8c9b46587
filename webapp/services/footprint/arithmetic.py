"""Exact decimal arithmetic for footprint lines.

Every emission figure is a product or a sum of decimals that are exact in the inputs and
the factor set, so the engine computes in a context that *traps* rounding: if an
operation could not be represented exactly in 80 significant digits it raises
``decimal.Rounded`` instead of silently rounding.  Validation bounds the size and the
number of decimal places of every input, so that never happens for accepted input.

Derived ratios (per-person figures, shares, comparisons) are not exact by nature; they are
computed with :func:`ratio`, which rounds half-even to a fixed, documented number of places.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import (
    ROUND_HALF_EVEN,
    Clamped,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    Rounded,
    Underflow,
)

ZERO = Decimal(0)

EXACT = Context(
    prec=80,
    rounding=ROUND_HALF_EVEN,
    traps=[InvalidOperation, DivisionByZero, Overflow, Underflow, Clamped, Inexact, Rounded],
)
_RATIO = Context(prec=60, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero])

# Places kept by ratio(): per-person kg to 1e-6 kg (1 mg); shares as fractions of 1.
PER_PERSON_PLACES = 6
SHARE_PLACES = 6


def mul(*factors: Decimal) -> Decimal:
    """Exact product; raises ``decimal.Rounded`` rather than round."""
    result = Decimal(1)
    for f in factors:
        result = EXACT.multiply(result, f)
    return result


def total(values: Iterable[Decimal]) -> Decimal:
    """Exact sum (``Decimal(0)`` for no values)."""
    result = ZERO
    for v in values:
        result = EXACT.add(result, v)
    return result


def sub(a: Decimal, b: Decimal) -> Decimal:
    """Exact difference a - b."""
    return EXACT.subtract(a, b)


def shift(value: Decimal, places: int) -> Decimal:
    """Exact multiplication by 10**places (e.g. -3 converts kg/t to kg/kg)."""
    return EXACT.scaleb(value, places)


def ratio(numerator: Decimal, denominator: Decimal, places: int) -> Decimal:
    """numerator / denominator rounded half-even to ``places`` decimal places."""
    quotient = _RATIO.divide(numerator, denominator)
    return quotient.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN, context=_RATIO)


def plain(value: Decimal) -> str:
    """Shortest positional (never scientific) text equal to ``value``: "2307.6", "1000",
    "0".  ``Decimal(plain(x)) == x`` always holds."""
    if value == 0:
        return "0"
    return format(EXACT.normalize(value), "f")
