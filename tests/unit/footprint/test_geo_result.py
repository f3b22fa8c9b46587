"""Geography data and great-circle distances; result JSON round trip and tamper checks."""

from __future__ import annotations

import json
import re
from decimal import Decimal as D

import pytest

from webapp.services.footprint import (
    EARTH_RADIUS_KM,
    FootprintResult,
    airport,
    airports,
    flight_distance_km,
    great_circle_km,
    household_footprint,
    parse_household,
    province,
    provinces,
)
from webapp.services.footprint.greatcircle import PI, asin, atan, cos, sin
from webapp.services.footprint.result import METHOD

_CODES = (
    "CN-BJ CN-TJ CN-HE CN-SX CN-NM CN-LN CN-JL CN-HL CN-SH CN-JS CN-ZJ CN-AH CN-FJ CN-JX CN-SD "
    "CN-HA CN-HB CN-HN CN-GD CN-GX CN-HI CN-CQ CN-SC CN-GZ CN-YN CN-XZ CN-SN CN-GS CN-QH CN-NX "
    "CN-XJ"
)
BRIEF_CODES = _CODES.split()


def test_all_31_provinces():
    assert sorted(provinces()) == sorted(BRIEF_CODES)
    sd = province("sd")
    assert (sd.name_zh, sd.name_en, sd.grid_region) == ("山东省", "Shandong", "north")
    assert {p.grid_region for p in provinces().values()} == {
        "north", "northeast", "east", "central", "northwest", "south", "southwest",
    }  # fmt: skip


def test_airports_file():
    data = json.loads(
        (province.__globals__["DATA_DIR"] / "airports.json").read_text(encoding="utf-8")
    )
    assert data["source"].startswith("airportsdata ") and "MIT" in data["source"]
    everything = airports()
    mainland = [a for a in everything.values() if a.country == "CN"]
    assert len(mainland) >= 80
    assert len(everything) - len(mainland) >= 80
    for code in ("PEK", "PKX", "PVG", "SHA", "CAN", "SZX", "CTU", "TFU", "KMG", "XIY", "HKG"):
        assert code in everything
    assert airport("pek").name_zh == "北京首都国际机场"
    assert isinstance(airport("PEK").lat, D)
    assert "NAY" not in everything  # closed in 2019


def test_trig_against_known_values():
    assert str(PI).startswith("3.14159265358979323846264338327950288")
    assert sin(D(0)) == 0 and cos(D(0)) == 1
    assert abs(sin(PI / 6) - D("0.5")) < D("1e-25")
    assert abs(atan(D(1)) - PI / 4) < D("1e-25")
    assert abs(asin(D(1)) - PI / 2) < D("1e-25")


def test_great_circle_hand_values():
    # A quarter meridian/equator: R x pi/2 = 6371.0088 x 1.5707963... = 10007.54 -> 10008
    assert great_circle_km(D(0), D(0), D(0), D(90)) == D(10008)
    assert great_circle_km(D(0), D(0), D(90), D(0)) == D(10008)
    # Half the circumference: R x pi = 20015.09 -> 20015
    assert great_circle_km(D(0), D(0), D(0), D(180)) == D(20015)
    # One degree of arc: R x pi/180 = 111.195 -> 111
    assert great_circle_km(D(30), D(120), D(31), D(120)) == D(111)
    assert great_circle_km(D(10), D(10), D(10), D(10)) == D(0)
    assert str(EARTH_RADIUS_KM) == "6371.0088"


def test_flight_distance_is_symmetric_and_whole_km():
    assert flight_distance_km("PEK", "SHA") == flight_distance_km("SHA", "PEK")
    assert flight_distance_km("PEK", "SHA") == flight_distance_km("PEK", "SHA").to_integral_value()
    # Beijing Capital - Shanghai Hongqiao is roughly 1,080 km
    assert D(1050) < flight_distance_km("PEK", "SHA") < D(1110)
    with pytest.raises(KeyError):
        flight_distance_km("PEK", "XXX")


def _result() -> FootprintResult:
    return household_footprint(
        parse_household(
            {
                "province": "CN-GD",
                "household_size": 3,
                "electricity_kwh": "4321.5",
                "flights": [{"from": "CAN", "to": "LHR", "return": True}],
                "diet": "low_meat",
            }
        )
    )


def test_json_shape():
    payload = _result().to_dict()
    assert {"factor_set", "total_kg", "per_person_kg", "lines"} <= set(payload)
    assert payload["factor_set"] == "cn-2026.1" and payload["method"] == METHOD
    line = payload["lines"][0]
    for key in ("category", "activity", "quantity", "unit", "factor", "factor_unit",
                "factor_id", "source", "kg"):  # fmt: skip
        assert key in line
    assert all(isinstance(line[k], str) for k in ("quantity", "factor", "kg"))
    assert isinstance(payload["total_kg"], str)
    numbers = [payload["total_kg"], payload["per_person_kg"], *payload["by_category"].values()]
    for line in payload["lines"]:
        numbers += [line["quantity"], line["factor"], line["kg"]]
    assert all(re.fullmatch(r"-?\d+(\.\d+)?", n) for n in numbers)  # never exponent form


def test_json_round_trip_is_exact():
    result = _result()
    text = json.dumps(result.to_dict(), ensure_ascii=False)
    again = FootprintResult.from_dict(json.loads(text))
    assert again == result
    assert json.dumps(again.to_dict(), ensure_ascii=False) == text


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["lines"][0].update(kg="1"), "kg != quantity x factor"),
        (lambda d: d["lines"][1]["alternative"].update(kg="1"), "alternative kg"),
        (lambda d: d.update(total_kg="1"), "total_kg is not the sum"),
        (lambda d: d["by_category"].update(electricity="1"), "by_category"),
        (lambda d: d.update(per_person_kg="1"), "per_person_kg"),
        (lambda d: d["benchmark"].update(ratio="9"), "benchmark ratio"),
    ],
)
def test_from_dict_rejects_tampering(mutate, message):
    payload = _result().to_dict()
    mutate(payload)
    with pytest.raises(ValueError, match=message):
        FootprintResult.from_dict(payload)
