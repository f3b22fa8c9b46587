"""Public certificate ids."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.services.certificates.ids import (
    ALPHABET,
    ENTROPY_BITS,
    LENGTH,
    format_public_id,
    generate_public_id,
    is_public_id,
    normalize_public_id,
)

public_ids = st.text(alphabet=ALPHABET, min_size=LENGTH, max_size=LENGTH)


def test_alphabet_and_entropy() -> None:
    assert len(ALPHABET) == len(set(ALPHABET)) == 31
    assert not set("0O1IL") & set(ALPHABET)
    assert set(ALPHABET) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert pytest.approx(LENGTH * math.log2(len(ALPHABET)), abs=0.005) == ENTROPY_BITS


def test_generated_ids() -> None:
    ids = [generate_public_id() for _ in range(2000)]
    assert all(is_public_id(i) for i in ids)
    assert len(set(ids)) == len(ids)
    assert set("".join(ids)) == set(ALPHABET)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("7K3MPQ9XRT", "7K3MPQ9XRT"),
        ("7k3mp-q9xrt", "7K3MPQ9XRT"),
        (" 7K3 MP Q9X RT ", "7K3MPQ9XRT"),
        ("7K3MP\u2014Q9XRT", "7K3MPQ9XRT"),
        ("７Ｋ３ＭＰ－Ｑ９ＸＲＴ", "7K3MPQ9XRT"),
        ("7K3MP\u3000Q9XRT", "7K3MPQ9XRT"),
        ("7K3MP_Q9XRT\n", "7K3MPQ9XRT"),
    ],
)
def test_normalize_accepts(raw: str, expected: str) -> None:
    assert normalize_public_id(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "7K3MPQ9XR",
        "7K3MPQ9XRTA",
        "7K3MPQ9XR0",
        "7K3MPQ9XRO",
        "7K3MPQ9XR1",
        "7K3MPQ9XRI",
        "7K3MPQ9XRl",
        "7K3MP.Q9XRT",
        "7K3MP/Q9XRT",
        "碳汇碳汇碳汇碳汇碳汇",
        "-" * 60 + "7K3MPQ9XRT",
        None,
        12345,
    ],
)
def test_normalize_rejects(raw: object) -> None:
    assert normalize_public_id(raw) is None  # type: ignore[arg-type]


def test_is_public_id_is_strict() -> None:
    assert is_public_id("7K3MPQ9XRT")
    assert not is_public_id("7k3mpq9xrt")
    assert not is_public_id("7K3MP-Q9XRT")
    assert not is_public_id(None)


def test_format() -> None:
    assert format_public_id("7K3MPQ9XRT") == "7K3MP-Q9XRT"
    with pytest.raises(ValueError):
        format_public_id("7k3mpq9xrt")


@settings(max_examples=200, deadline=None, database=None)
@given(
    public_ids,
    st.lists(st.sampled_from(["", " ", "-", "  ", "\u2013"]), min_size=11, max_size=11),
    st.lists(st.booleans(), min_size=10, max_size=10),
)
def test_normalize_inverts_typing_noise(pid: str, seps: list[str], lower: list[bool]) -> None:
    typed = seps[0] + "".join(
        (c.lower() if low else c) + sep for c, low, sep in zip(pid, lower, seps[1:], strict=True)
    )
    assert normalize_public_id(typed) == pid
    assert normalize_public_id(format_public_id(pid)) == pid
