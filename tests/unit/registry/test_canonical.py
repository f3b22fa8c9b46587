"""Canonical JSON encoding and entry hashes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.services.registry.canonical import (
    MAX_SAFE_INTEGER,
    CanonicalError,
    canonical_bytes,
    canonical_json,
    entry_hash,
)
from webapp.services.registry.merkle import leaf_hash


def test_sorted_compact_utf8() -> None:
    payload = {"b": 1, "a": "碳汇", "c": [True, False, None, {"z": -3, "y": "x"}]}
    assert canonical_bytes(payload) == (
        '{"a":"碳汇","b":1,"c":[true,false,null,{"y":"x","z":-3}]}'.encode()
    )


def test_key_order_is_code_point_order() -> None:
    payload = {"b": 0, "B": 0, "é": 0, "a": 0, "aa": 0, "": 0, "林": 0}
    assert canonical_json(payload) == '{"":0,"B":0,"a":0,"aa":0,"b":0,"é":0,"林":0}'


def test_escaping_matches_json_stringify() -> None:
    text = 'q"b\\n\n\r\t\b\f\x00\x1f\x7f\u2028/é'
    assert canonical_json(text) == '"q\\"b\\\\n\\n\\r\\t\\b\\f\\u0000\\u001f\x7f\u2028/é"'


def test_tuples_are_arrays_and_insertion_order_is_irrelevant() -> None:
    assert canonical_bytes({"x": (1, 2)}) == b'{"x":[1,2]}'
    assert canonical_bytes({"a": 1, "b": 2}) == canonical_bytes({"b": 2, "a": 1})


@pytest.mark.parametrize(
    "value",
    [
        1.0,
        float("nan"),
        float("inf"),
        {"q": 0.5},
        [1, [2.5]],
        {1: "x"},
        {("a",): 1},
        {None: 1},
        {True: 1},
        Decimal("1.5"),
        dt.date(2025, 1, 1),
        b"bytes",
        {1, 2},
        MAX_SAFE_INTEGER + 1,
        -MAX_SAFE_INTEGER - 1,
        "\ud800",
        {"\udfff": 1},
        object(),
    ],
)
def test_rejects(value: object) -> None:
    with pytest.raises(CanonicalError):
        canonical_bytes(value)


def test_error_names_the_path() -> None:
    with pytest.raises(CanonicalError, match=r"\$\.outer\[1\]\.price: floats"):
        canonical_bytes({"outer": [0, {"price": 9.99}]})


def test_integer_bounds_and_bools() -> None:
    assert canonical_bytes([MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER, True]) == (
        b"[9007199254740991,-9007199254740991,true]"
    )


def test_entry_hash_is_rfc6962_leaf_of_canonical_bytes() -> None:
    payload = {"serial": "TH-CLS-2025-000001", "quantity_kg": 1000, "note": "徂徕山"}
    data = canonical_bytes(payload)
    assert entry_hash(payload) == hashlib.sha256(b"\x00" + data).digest() == leaf_hash(data)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None, database=None)
@given(json_values)
def test_round_trip_and_idempotence(value: object) -> None:
    encoded = canonical_bytes(value)
    decoded = json.loads(encoded.decode("utf-8"))
    assert decoded == value
    assert canonical_bytes(decoded) == encoded
    assert b"\n" not in encoded
