"""Footprint results: one :class:`Line` per activity, exact totals, JSON round trip.

JSON shape (``FootprintResult.to_dict``)::

    {"factor_set": "cn-2026.1", "method": "tanhui-footprint/1", "kind": "household",
     "total_kg": "1234.5", "per_person_kg": "411.5", "people": 3,
     "lines": [{"category", "activity", "quantity", "unit", "factor", "factor_unit",
                "factor_id", "source", "verification", "kg", "detail", "basis",
                "alternative"}],
     "by_category": {"electricity": "...", ...}, "shares": {"electricity": "0.41", ...},
     "benchmark": {...} | null}

A line's ``source`` is its factor's citation (the publication, shown with
``verification``).  Results stored before citations existed carry the compiled source
text there; pages show the citation from the factor set instead
(:meth:`FactorSet.citation`).

Every decimal is a JSON *string* in plain positional notation (never exponent form), so
``Decimal(s)`` gives back exactly the value computed; JSON numbers would pass through
binary floats in most clients.  ``from_dict`` rebuilds the result and re-checks the
arithmetic, so a stored result that was edited by hand is rejected.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .arithmetic import PER_PERSON_PLACES, SHARE_PLACES, ZERO, mul, plain, ratio, total
from .factors import Factor

METHOD = "tanhui-footprint/1"


@dataclass(frozen=True)
class Alternative:
    """The same activity under another factor, shown but not counted (e.g. without RF)."""

    label: str
    factor: Decimal
    factor_id: str
    kg: Decimal


@dataclass(frozen=True)
class Line:
    category: str
    activity: str
    quantity: Decimal
    unit: str
    factor: Decimal  # kg CO2(e) per ``unit``
    factor_unit: str
    factor_id: str
    source: str
    verification: str
    kg: Decimal  # == quantity * factor, exactly
    detail: str = ""
    basis: tuple[str, ...] = ()  # further factor ids used to derive ``quantity``
    alternative: Alternative | None = None


def make_line(
    factor: Factor,
    *,
    category: str,
    activity: str,
    quantity: Decimal,
    unit: str,
    detail: str = "",
    basis: tuple[str, ...] = (),
    alternative: tuple[str, Factor] | None = None,
) -> Line:
    value, factor_unit = factor.per_kg()
    alt = None
    if alternative is not None:
        label, alt_factor = alternative
        alt_value, _ = alt_factor.per_kg()
        alt = Alternative(label, alt_value, alt_factor.id, mul(quantity, alt_value))
    return Line(
        category=category,
        activity=activity,
        quantity=quantity,
        unit=unit,
        factor=value,
        factor_unit=factor_unit,
        factor_id=factor.id,
        source=factor.citation,  # what a reader can look up, never how it was found
        verification=factor.verification,
        kg=mul(quantity, value),
        detail=detail,
        basis=basis,
        alternative=alt,
    )


@dataclass(frozen=True)
class Benchmark:
    """Per-person result set against a published per-capita figure."""

    factor_id: str
    reference_kg: Decimal  # per person per year
    ratio: Decimal  # per_person_kg / reference_kg, SHARE_PLACES places


def _by_category(lines: Iterable[Line]) -> dict[str, Decimal]:
    groups: dict[str, list[Decimal]] = {}
    for line in lines:
        groups.setdefault(line.category, []).append(line.kg)
    return {cat: total(values) for cat, values in groups.items()}


@dataclass(frozen=True)
class FootprintResult:
    factor_set: str
    kind: str  # "household" (per year) or "event" (whole event)
    total_kg: Decimal
    per_person_kg: Decimal | None  # per household member per year / per participant
    lines: tuple[Line, ...]
    by_category: Mapping[str, Decimal]
    people: int | None = None
    benchmark: Benchmark | None = None
    method: str = field(default=METHOD)

    @classmethod
    def build(
        cls,
        factor_set: str,
        kind: str,
        lines: Iterable[Line],
        people: int | None,
        benchmark: Factor | None = None,
    ) -> FootprintResult:
        lines = tuple(lines)
        grand = total(line.kg for line in lines)
        per_person = ratio(grand, Decimal(people), PER_PERSON_PLACES) if people else None
        bench = None
        if benchmark is not None and per_person is not None:
            ref, _unit = benchmark.per_kg()
            bench = Benchmark(benchmark.id, ref, ratio(per_person, ref, SHARE_PLACES))
        return cls(factor_set, kind, grand, per_person, lines, _by_category(lines), people, bench)

    def shares(self) -> dict[str, Decimal]:
        """Category share of the total (fractions of 1, SHARE_PLACES places)."""
        if self.total_kg == ZERO:
            return dict.fromkeys(self.by_category, ZERO)
        return {c: ratio(kg, self.total_kg, SHARE_PLACES) for c, kg in self.by_category.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "factor_set": self.factor_set,
            "method": self.method,
            "kind": self.kind,
            "total_kg": plain(self.total_kg),
            "per_person_kg": None if self.per_person_kg is None else plain(self.per_person_kg),
            "people": self.people,
            "lines": [_line_dict(line) for line in self.lines],
            "by_category": {c: plain(kg) for c, kg in self.by_category.items()},
            "shares": {c: plain(s) for c, s in self.shares().items()},
            "benchmark": None
            if self.benchmark is None
            else {
                "factor_id": self.benchmark.factor_id,
                "reference_kg": plain(self.benchmark.reference_kg),
                "ratio": plain(self.benchmark.ratio),
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FootprintResult:
        """Rebuild a stored result; raises ValueError if its arithmetic does not hold."""
        lines = tuple(_line_from(d) for d in data["lines"])
        for line in lines:
            if mul(line.quantity, line.factor) != line.kg:
                raise ValueError(f"line {line.activity!r}: kg != quantity x factor")
            alt = line.alternative
            if alt is not None and mul(line.quantity, alt.factor) != alt.kg:
                raise ValueError(f"line {line.activity!r}: alternative kg is inconsistent")
        bench = data.get("benchmark")
        result = cls(
            factor_set=data["factor_set"],
            kind=data["kind"],
            total_kg=Decimal(data["total_kg"]),
            per_person_kg=None if data["per_person_kg"] is None else Decimal(data["per_person_kg"]),
            lines=lines,
            by_category={c: Decimal(v) for c, v in data["by_category"].items()},
            people=data.get("people"),
            benchmark=None
            if bench is None
            else Benchmark(
                bench["factor_id"], Decimal(bench["reference_kg"]), Decimal(bench["ratio"])
            ),
            method=data.get("method", METHOD),
        )
        if result.total_kg != total(line.kg for line in lines):
            raise ValueError("total_kg is not the sum of the lines")
        if dict(result.by_category) != _by_category(lines):
            raise ValueError("by_category does not match the lines")
        expected = None
        if result.people:
            expected = ratio(result.total_kg, Decimal(result.people), PER_PERSON_PLACES)
        if result.per_person_kg != expected:
            raise ValueError("per_person_kg does not match total_kg / people")
        b = result.benchmark
        if b is not None and (
            result.per_person_kg is None
            or b.ratio != ratio(result.per_person_kg, b.reference_kg, SHARE_PLACES)
        ):
            raise ValueError("benchmark ratio does not match per_person_kg")
        return result


def _line_dict(line: Line) -> dict[str, Any]:
    alt = line.alternative
    return {
        "category": line.category,
        "activity": line.activity,
        "quantity": plain(line.quantity),
        "unit": line.unit,
        "factor": plain(line.factor),
        "factor_unit": line.factor_unit,
        "factor_id": line.factor_id,
        "source": line.source,
        "verification": line.verification,
        "kg": plain(line.kg),
        "detail": line.detail,
        "basis": list(line.basis),
        "alternative": None
        if alt is None
        else {
            "label": alt.label,
            "factor": plain(alt.factor),
            "factor_id": alt.factor_id,
            "kg": plain(alt.kg),
        },
    }


def _line_from(d: Mapping[str, Any]) -> Line:
    alt = d.get("alternative")
    return Line(
        category=d["category"],
        activity=d["activity"],
        quantity=Decimal(d["quantity"]),
        unit=d["unit"],
        factor=Decimal(d["factor"]),
        factor_unit=d["factor_unit"],
        factor_id=d["factor_id"],
        source=d["source"],
        verification=d["verification"],
        kg=Decimal(d["kg"]),
        detail=d.get("detail", ""),
        basis=tuple(d.get("basis", ())),
        alternative=None
        if alt is None
        else Alternative(
            alt["label"], Decimal(alt["factor"]), alt["factor_id"], Decimal(alt["kg"])
        ),
    )
