"""Data quality of webapp/data/airports.json, and finding an airport by city (issue 21, 8)."""

from __future__ import annotations

import json
import re
import unicodedata

import pytest

from webapp.services.footprint import geo

RAW = json.loads((geo.DATA_DIR / "airports.json").read_text(encoding="utf-8"))["airports"]
CJK = re.compile(r"^[\u4e00-\u9fff·（）]+$")


def test_no_damaged_or_empty_text():
    for a in RAW:
        for key in ("name_en", "city", "name_zh", "city_zh"):
            text = a.get(key)
            if key in ("name_en", "city"):
                assert text, (a["iata"], key)
            if text is None:
                continue
            assert "?" not in text and "\ufffd" not in text, (a["iata"], key, text)
            assert text == " ".join(text.split()), (a["iata"], key, text)  # no double/edge space
            assert not text.endswith(("·", " ·", ",")), (a["iata"], key, text)
            assert unicodedata.normalize("NFC", text) == text
        assert re.fullmatch(r"[A-Z]{3}", a["iata"])


def test_every_airport_has_a_chinese_city_and_chinese_airports_a_chinese_name():
    for a in RAW:
        assert a.get("city_zh") and CJK.match(a["city_zh"]), a
        if a["country"] == "CN":
            assert a.get("name_zh") and CJK.match(a["name_zh"]), a
            assert a["name_zh"].endswith("机场"), a
    codes = [a["iata"] for a in RAW]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize(
    ("iata", "city", "city_zh"),
    [
        ("YZY", "Zhangye", "张掖"),
        ("KOW", "Ganzhou", "赣州"),
        ("LLV", "Lüliang", "吕梁"),
        ("BSD", "Baoshan", "保山"),
        ("TFU", "Chengdu", "成都"),
        ("XIY", "Xi'an", "西安"),
        ("DYG", "Zhangjiajie", "张家界"),
        ("JIQ", "Qianjiang", "黔江"),
        ("HYN", "Taizhou", "台州"),
        ("DLU", "Dali", "大理"),
        ("TEN", "Tongren", "铜仁"),
    ],
)
def test_the_right_cities(iata, city, city_zh):
    a = geo.airports()[iata]
    assert (a.city, a.city_zh) == (city, city_zh)
    assert city.split()[0] in a.name_en or iata in {"JIQ", "DLU", "TEN", "XIY"}


def test_the_names_of_chinese_airports_start_with_a_place_of_their_city_or_a_known_name():
    for a in RAW:
        if a["country"] == "CN":
            assert a["name_zh"][:2] != "机场", a


@pytest.mark.parametrize(
    ("text", "iata"),
    [
        ("杭州", "HGH"),
        ("杭州市", "HGH"),
        ("Hangzhou", "HGH"),
        ("hangzhou", "HGH"),
        ("北京", "PEK"),
        ("Beijing", "PEK"),
        ("大兴", None),
        ("北京大兴", "PKX"),
        ("Beijing Daxing", "PKX"),
        ("上海", "PVG"),
        ("虹桥", None),
        ("上海虹桥", "SHA"),
        ("hgh", "HGH"),
        (" PEK ", "PEK"),
        ("张掖", "YZY"),
        ("南昌", "KHN"),
        ("东京", "HND"),
        ("Tokyo", "HND"),
        ("Nagoya", "NGO"),  # by city only: the airport is "Chubu Centrair"
        ("名古屋", "NGO"),
        ("仁怀", "WMT"),
        ("Shantou", "SWA"),
        ("杭洲", None),
        ("x", None),
        ("", None),
    ],
)
def test_find_airport_by_city_in_chinese_or_english(text, iata):
    found = geo.find_airport(text)
    assert (found.iata if found else None) == iata


def test_city_names_in_the_readers_language():
    zh, en = geo.city_names("zh"), geo.city_names("en")
    assert "杭州" in zh and "Hangzhou" not in zh
    assert "Hangzhou" in en and "杭州" not in en
    assert zh.index("杭州") < zh.index("东京")  # Chinese cities first
    assert len(zh) == len(set(zh))
