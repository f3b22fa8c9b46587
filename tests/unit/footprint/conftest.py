"""Shared fixtures for the footprint engine tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from webapp.services.footprint import FactorSet, load_factor_set

REPO = Path(__file__).resolve().parents[3]
REFERENCE = REPO.parent / "shared" / "reference" / "factors.json"
VERSION = "cn-2026.1"


@pytest.fixture(scope="session")
def fs() -> FactorSet:
    return load_factor_set(VERSION)
