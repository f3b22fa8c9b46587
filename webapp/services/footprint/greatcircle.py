"""Great-circle distance in pure decimal arithmetic (no binary floating point).

Haversine formula on a sphere of radius :data:`EARTH_RADIUS_KM`:

    a = sin²(Δφ/2) + cos φ1 · cos φ2 · sin²(Δλ/2)
    d = 2 · R · asin(√a)

The trigonometric functions are evaluated as Taylor series in a 50-digit decimal context,
so the result is identical on every platform.  The distance is then rounded half-up to a
whole kilometre (:data:`DISTANCE_PLACES`), which is far finer than the uncertainty of the
flight factors it is multiplied by.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

# IUGG mean Earth radius R1 = (2a + b) / 3 for GRS 80 (Moritz 1980): 6371.0088 km.
EARTH_RADIUS_KM = Decimal("6371.0088")
DISTANCE_PLACES = 0  # distances are whole kilometres

_CTX = Context(prec=50, traps=[InvalidOperation])
_ONE = Decimal(1)


def _pi() -> Decimal:
    """π to the context precision (the decimal-module documentation recipe)."""
    ctx = _CTX.copy()
    ctx.prec += 2
    three = Decimal(3)
    lasts, t, s, n, na, d, da = 0, three, three, 1, 0, 0, 24
    while s != lasts:
        lasts = s
        n, na = n + na, na + 8
        d, da = d + da, da + 32
        t = ctx.divide(ctx.multiply(t, n), d)
        s = ctx.add(s, t)
    return _CTX.plus(s)


PI = _pi()


def _series(x: Decimal, start: Decimal, first_k: int) -> Decimal:
    """Σ (-1)^k x^(2k+first) / (2k+first)! for sin (start=x, k=1) and cos (start=1, k=0)."""
    c = _CTX
    x2 = c.multiply(x, x)
    term, total, i = start, start, first_k
    while True:
        term = c.divide(c.minus(c.multiply(term, x2)), (i + 1) * (i + 2))
        i += 2
        new_total = c.add(total, term)
        if new_total == total:
            return total
        total = new_total


def sin(x: Decimal) -> Decimal:
    return _series(x, x, 1)


def cos(x: Decimal) -> Decimal:
    return _series(x, _ONE, 0)


def atan(x: Decimal) -> Decimal:
    """Arctangent via argument halving atan(x) = 2·atan(x / (1 + √(1 + x²))) then Taylor."""
    c = _CTX
    halvings = 0
    while abs(x) > Decimal("0.1"):
        x = c.divide(x, c.add(_ONE, c.sqrt(c.add(_ONE, c.multiply(x, x)))))
        halvings += 1
    x2 = c.multiply(x, x)
    term, total, n = x, x, 1
    while True:
        term = c.minus(c.multiply(term, x2))
        n += 2
        new_total = c.add(total, c.divide(term, n))
        if new_total == total:
            break
        total = new_total
    return c.multiply(total, 2**halvings)


def asin(x: Decimal) -> Decimal:
    c = _CTX
    if x >= _ONE:
        return c.divide(PI, 2)
    return atan(c.divide(x, c.sqrt(c.subtract(_ONE, c.multiply(x, x)))))


def radians(degrees: Decimal) -> Decimal:
    return _CTX.divide(_CTX.multiply(degrees, PI), 180)


def central_angle(lat1: Decimal, lon1: Decimal, lat2: Decimal, lon2: Decimal) -> Decimal:
    """Angle in radians between two points given in decimal degrees (haversine)."""
    c = _CTX
    p1, p2 = radians(lat1), radians(lat2)
    half_dlat = c.divide(c.subtract(p2, p1), 2)
    half_dlon = c.divide(radians(c.subtract(lon2, lon1)), 2)
    s_lat, s_lon = sin(half_dlat), sin(half_dlon)
    a = c.add(
        c.multiply(s_lat, s_lat),
        c.multiply(c.multiply(cos(p1), cos(p2)), c.multiply(s_lon, s_lon)),
    )
    a = min(max(a, Decimal(0)), _ONE)  # guard against last-digit excursions
    return c.multiply(2, asin(c.sqrt(a)))


def great_circle_km(lat1: Decimal, lon1: Decimal, lat2: Decimal, lon2: Decimal) -> Decimal:
    """Great-circle distance in whole km (rounded half-up)."""
    exact = _CTX.multiply(EARTH_RADIUS_KM, central_angle(lat1, lon1, lat2, lon2))
    return exact.quantize(Decimal(1).scaleb(-DISTANCE_PLACES), rounding=ROUND_HALF_UP)
