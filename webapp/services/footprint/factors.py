"""Versioned emission-factor sets (``webapp/data/factors/<version>.json``).

A factor set is immutable once published: a stored calculation names its version, and
re-running the same inputs against the same version reproduces it exactly.  The engine
never names factor ids directly; it asks for *roles* (``"car.petrol"``,
``"electricity.CN-SD"``) and each set's ``roles`` table maps them to factor ids.

What is immutable is what a calculation reads: values, units and roles.  Each factor also
carries two texts about where its figure comes from:

* ``citation`` - the publication a reader can look up; the only source text shown to users
  (pages, PDFs, CSV, the API), always together with ``verification``;
* ``provenance`` (with ``source``, ``url`` and ``notes``, kept as compiled) - how the
  figure was obtained, for auditors; shown only in the methodology page's auditor detail.

Correcting these texts does not change any result, so it does not need a new version;
pages resolve a stored line's citation from its factor set (:meth:`FactorSet.citation`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .arithmetic import shift

FACTORS_DIR = Path(__file__).resolve().parents[2] / "data" / "factors"
_VERSION_RE = re.compile(r"^cn-(\d{4})\.(\d+)$")


class UnknownFactorError(KeyError):
    """A role or factor id that the factor set does not define."""


@dataclass(frozen=True)
class Factor:
    id: str
    quantity: str
    value: Decimal | None
    unit: str
    source: str
    year: int | None
    url: str | None
    verification: str
    notes: str
    range: tuple[Decimal, Decimal] | None = None
    params: Mapping[str, Decimal] | None = None
    citation: str = ""
    provenance: str = ""

    @property
    def link(self) -> str | None:
        """A web address for the publication, when ``url`` is exactly one such address
        (not a note on how the figure was found)."""
        url = self.url or ""
        if re.fullmatch(r"https?://[^\s;]+", url) and "github" not in url.lower():
            return url
        return None

    def per_kg(self) -> tuple[Decimal, str]:
        """The value expressed in kg of CO2(e) per activity unit, and that unit.

        Published units are kept in the file; conversions here are exact powers of ten:
        ``tCO2/GJ`` -> ``kgCO2/GJ`` (x1000), ``kgCO2e/t`` -> ``kgCO2e/kg`` (/1000).
        """
        if self.value is None:
            raise UnknownFactorError(f"{self.id} has no single numeric value")
        value, unit = self.value, self.unit
        if unit.startswith(("tCO2/", "tCO2e/")):
            value, unit = shift(value, 3), "kg" + unit[1:]
        if unit.endswith("/t"):
            value, unit = shift(value, -3), unit[:-2] + "/kg"
        return value, unit


@dataclass(frozen=True)
class FactorSet:
    version: str
    published: str
    description: str
    factors: Mapping[str, Factor]
    roles: Mapping[str, str]

    def get(self, factor_id: str) -> Factor:
        try:
            return self.factors[factor_id]
        except KeyError:
            raise UnknownFactorError(f"{self.version} has no factor {factor_id!r}") from None

    def for_role(self, role: str) -> Factor:
        try:
            factor_id = self.roles[role]
        except KeyError:
            raise UnknownFactorError(f"{self.version} has no role {role!r}") from None
        return self.get(factor_id)

    def citation(self, factor_id: str, fallback: str = "") -> str:
        """The citation of ``factor_id``, or ``fallback`` for an id this set lacks."""
        factor = self.factors.get(factor_id)
        return factor.citation if factor is not None else fallback


def _dec(text: Any) -> Decimal | None:
    if text is None:
        return None
    if not isinstance(text, str):
        raise TypeError(f"factor values must be decimal strings, got {text!r}")
    value = Decimal(text)
    if not value.is_finite():
        raise ValueError(f"non-finite factor value {text!r}")
    return value


def _required_dec(text: Any) -> Decimal:
    value = _dec(text)
    if value is None:
        raise ValueError("range and params entries must be decimal strings")
    return value


def _parse_factor(raw: Mapping[str, Any]) -> Factor:
    rng, params = raw.get("range"), raw.get("params")
    return Factor(
        id=str(raw["id"]),
        quantity=str(raw["quantity"]),
        value=_dec(raw.get("value")),
        unit=str(raw["unit"]),
        source=str(raw["source"]),
        year=int(raw["year"]) if raw.get("year") is not None else None,
        url=str(raw["url"]) if raw.get("url") else None,
        verification=str(raw["verification"]),
        notes=str(raw.get("notes") or ""),
        # Files written before citations existed cite their compiled source.
        citation=str(raw.get("citation") or raw["source"]),
        provenance=str(raw.get("provenance") or raw["source"]),
        range=(_required_dec(rng[0]), _required_dec(rng[1])) if isinstance(rng, list) else None,
        params=(
            MappingProxyType({str(k): _required_dec(v) for k, v in params.items()})
            if isinstance(params, dict)
            else None
        ),
    )


def _version_key(version: str) -> tuple[int, int]:
    match = _VERSION_RE.match(version)
    if not match:
        raise ValueError(f"bad factor-set version {version!r}")
    return int(match.group(1)), int(match.group(2))


def available_versions() -> tuple[str, ...]:
    """Versions shipped in ``webapp/data/factors``, oldest first."""
    names = [p.stem for p in FACTORS_DIR.glob("cn-*.json") if _VERSION_RE.match(p.stem)]
    return tuple(sorted(names, key=_version_key))


def latest_version() -> str:
    versions = available_versions()
    if not versions:
        raise FileNotFoundError(f"no factor sets in {FACTORS_DIR}")
    return versions[-1]


@lru_cache(maxsize=8)
def _load(version: str) -> FactorSet:
    _version_key(version)  # rejects path tricks such as "../x"
    path = FACTORS_DIR / f"{version}.json"
    if not path.is_file():
        raise LookupError(f"unknown factor set {version!r}")
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("version") != version:
        raise ValueError(f"{path.name} declares version {data.get('version')!r}")
    factors = {f.id: f for f in map(_parse_factor, data["factors"])}
    if len(factors) != len(data["factors"]):
        raise ValueError(f"{path.name} has duplicate factor ids")
    roles = dict(data.get("roles", {}))
    missing = sorted(fid for fid in roles.values() if fid not in factors)
    if missing:
        raise ValueError(f"{path.name} roles name missing factors: {missing}")
    return FactorSet(
        version=version,
        published=str(data["published"]),
        description=str(data["description"]),
        factors=MappingProxyType(factors),
        roles=MappingProxyType(roles),
    )


def load_factor_set(version: str | None = None) -> FactorSet:
    """The named factor set (cached), or the latest when ``version`` is None."""
    return _load(version or latest_version())
