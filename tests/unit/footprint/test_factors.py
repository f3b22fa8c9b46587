"""The shipped factor set: provenance, agreement with the reference, loader behaviour."""

from __future__ import annotations

import importlib.util
import json
import re
from decimal import Decimal

import pytest

from webapp.services.footprint import (
    UnknownFactorError,
    available_versions,
    latest_version,
    load_factor_set,
    provinces,
)
from webapp.services.footprint.factors import FACTORS_DIR

from .conftest import REFERENCE, REPO, VERSION

SHIPPED = FACTORS_DIR / f"{VERSION}.json"
# Entries that have no URL/year in the reference for a reason other than being derived
# or UNVERIFIED.
NO_URL_OK = {"forest.co2_c_ratio": "44/12 molecular-mass ratio, a constant"}
NO_YEAR_OK = {
    "forest.co2_c_ratio": "a constant",
    "forest.cf.default": "IPCC default, not tied to a year",
}
needs_reference = pytest.mark.skipif(
    not REFERENCE.is_file(),
    reason=f"reference compilation {REFERENCE} is not present (shared/ not checked out)",
)


def _raw() -> dict:
    return json.loads(SHIPPED.read_text(encoding="utf-8"))


def test_file_header():
    raw = _raw()
    assert raw["version"] == VERSION
    assert raw["published"] == "2026-11-21"
    assert raw["description"]


def test_values_are_decimal_strings_never_floats():
    for f in _raw()["factors"]:
        assert f["value"] is None or isinstance(f["value"], str), f["id"]
        if f["value"] is not None:
            assert Decimal(f["value"]).is_finite()
        for v in f.get("range", []) + list(f.get("params", {}).values()):
            assert isinstance(v, str), f["id"]


def test_every_factor_has_provenance():
    raw = _raw()
    ids = {f["id"] for f in raw["factors"]}
    for f in raw["factors"]:
        for key in ("source", "year", "url", "verification", "unit", "quantity", "notes"):
            assert key in f, (f["id"], key)
        assert f["source"].strip(), f["id"]
        assert f["verification"] in {"verified", "secondary", "UNVERIFIED"}, f["id"]
        derived = f["source"].startswith("derived from ")
        if derived:  # the basis factors must be shipped too, so the derivation can be followed
            basis = f["source"].removeprefix("derived from ").replace(" and ", " ").split()
            assert set(basis) <= ids, f["id"]
        exempt = derived or f["verification"] == "UNVERIFIED"
        if f["url"] is None:
            assert exempt or f["id"] in NO_URL_OK, f"{f['id']} has no url"
        if f["year"] is None:
            assert exempt or f["id"] in NO_YEAR_OK, f"{f['id']} has no year"
        else:
            assert isinstance(f["year"], int)


def test_assumptions_are_flagged_unverified():
    for f in _raw()["factors"]:
        if f["id"].startswith("assume."):
            assert f["verification"] == "UNVERIFIED", f["id"]


@needs_reference
def test_shipped_values_match_reference():
    ref = {
        f["id"]: f
        for f in json.loads(
            REFERENCE.read_text(encoding="utf-8"), parse_float=Decimal, parse_int=Decimal
        )["factors"]
    }
    for f in _raw()["factors"]:
        if f["id"] not in ref:
            assert f["id"].startswith("assume."), f"{f['id']} is not in the reference"
            continue
        r = ref[f["id"]]
        assert f["unit"] == r["unit"], f["id"]
        assert f["verification"] == r["verification"], f["id"]
        if isinstance(r["value"], list):
            assert [Decimal(v) for v in f["range"]] == r["value"], f["id"]
        elif isinstance(r["value"], dict):
            assert {k: Decimal(v) for k, v in f["params"].items()} == r["value"], f["id"]
        elif r["value"] is None:
            assert f["value"] is None, f["id"]
        else:
            assert Decimal(f["value"]) == r["value"], f["id"]


@needs_reference
def test_build_script_output_is_up_to_date():
    spec = importlib.util.spec_from_file_location(
        "build_factor_set", REPO / "scripts/build_factor_set.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    factor_set, province_data = module.build(module.load_reference(REFERENCE))
    assert module.dump(factor_set) == SHIPPED.read_text(encoding="utf-8")
    assert module.dump(province_data) == (REPO / "webapp/data/provinces.json").read_text("utf-8")


def test_forestry_and_price_entries_shipped(fs):
    assert fs.get("forest.project.suichuan.per_mu").value == Decimal("0.5714")
    assert fs.get("forest.co2_c_ratio").value == Decimal("3.666667")
    assert fs.get("price.ccer.2025").range == (Decimal(60), Decimal(80))
    assert fs.get("forest.chinese_fir.params").params["BEF"] == Decimal("1.634")
    assert fs.get("price.carbon_puhui.guangdong").value is None


def test_roles_resolve_and_have_values(fs):
    for role, factor_id in fs.roles.items():
        factor = fs.for_role(role)
        assert factor.id == factor_id
        assert factor.value is not None, role


def test_electricity_rule_latest_most_local_level(fs):
    # Provincial MEE/NBS figures exist up to 2022; Xizang has none, so its regional grid
    # (Southwest) latest year, 2023, applies.
    for code in provinces():
        factor_id = fs.roles[f"electricity.{code}"]
        if code == "CN-XZ":
            assert factor_id == "cn.grid.region.southwest.2023"
        else:
            assert factor_id.startswith("cn.grid.province.") and factor_id.endswith(".2022")
    assert fs.for_role("electricity.CN-SD").value == Decimal("0.641")
    assert fs.for_role("electricity.CN-XZ").value == Decimal("0.2472")


def test_provinces_file_agrees_with_latest_factor_set():
    fs = load_factor_set()
    for code, p in provinces().items():
        assert fs.roles[f"electricity.{code}"] == p.electricity_factor_id


def test_per_kg_conversions_are_exact(fs):
    # 0.11 tCO2/GJ = 110 kgCO2/GJ; 497.04416 kgCO2e/t = 0.49704416 kgCO2e/kg
    assert fs.get("cn.heat.default").per_kg() == (Decimal("110"), "kgCO2/GJ")
    assert fs.get("waste.household_residual.landfill.2024").per_kg() == (
        Decimal("0.49704416"),
        "kgCO2e/kg",
    )
    # 8.9 tCO2/person/yr = 8900 kgCO2/person/yr
    assert fs.get("cn.percapita.energy_co2.2023").per_kg() == (
        Decimal("8900"),
        "kgCO2/person/yr",
    )
    assert fs.get("cn.fuel.lpg").per_kg() == (Decimal("3.1013"), "kgCO2/kg")


def test_versions_api():
    assert VERSION in available_versions()
    assert latest_version() == available_versions()[-1]
    assert load_factor_set() is load_factor_set(latest_version())  # cached
    with pytest.raises(LookupError):
        load_factor_set("cn-1999.1")
    with pytest.raises(ValueError, match="bad factor-set version"):
        load_factor_set("../../etc/passwd")


def test_unknown_role_and_factor(fs):
    with pytest.raises(UnknownFactorError):
        fs.for_role("car.steam")
    with pytest.raises(UnknownFactorError):
        fs.get("no.such.factor")
    with pytest.raises(UnknownFactorError):
        fs.get("price.ccer.2025").per_kg()  # a range has no single value


def test_every_factor_names_a_citation_free_of_research_notes():
    # The citation is what users read; how the figure was found stays in the provenance.
    notes = re.compile(
        r"index id|search[- ]index|file id|\brepo\b|repositor|github|recalled|"
        r"shared/reference|\b[\w-]+\.json\b",
        re.IGNORECASE,
    )
    raw = _raw()
    assert not notes.search(raw["description"])
    for f in raw["factors"]:
        assert f["citation"].strip() and f["provenance"].strip(), f["id"]
        assert not notes.search(f["citation"]), f["id"]
        if f["source"].startswith("derived from "):
            for basis in f["source"].removeprefix("derived from ").replace(" and ", " ").split():
                assert basis in f["citation"], (f["id"], basis)


def test_old_files_without_citations_still_load(tmp_path, monkeypatch):
    # A factor set written before citations existed cites its compiled source.
    from webapp.services.footprint import factors as module

    raw = _raw()
    for f in raw["factors"]:
        del f["citation"], f["provenance"]
    raw["version"] = "cn-2025.1"
    (tmp_path / "cn-2025.1.json").write_text(json.dumps(raw), encoding="utf-8")
    monkeypatch.setattr(module, "FACTORS_DIR", tmp_path)
    module._load.cache_clear()
    try:
        old = module.load_factor_set("cn-2025.1")
        factor = old.get("cn.grid.province.shandong.2022")
        assert factor.citation == factor.source == factor.provenance
    finally:
        module._load.cache_clear()
