from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _photo_dir(photo_dir):
    """Every plots test keeps rangers' photos in its own folder."""
    return photo_dir
