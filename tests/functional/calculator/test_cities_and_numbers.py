"""The calculator takes flights by city (zh or en) and numbers as people write them, and
suggests airports in the reader's language (issue 21, parts 7 and 8)."""

from __future__ import annotations

import re

from tests.support.calculator import HOUSEHOLD, calculate, latest, post


def _flight(origin: str, destination: str, **more: str) -> dict[str, str]:
    data = {k: v for k, v in HOUSEHOLD.items() if not k.startswith("flights-")}
    data.update(
        {
            "flights-0-origin": origin,
            "flights-0-destination": destination,
            "flights-0-return_trip": "y",
            "flights-0-cabin": "average",
            **more,
        }
    )
    return data


def test_flights_by_city_in_chinese_or_english_equal_flights_by_code(client):
    calculate(client, data=_flight("HGH", "PEK"))
    by_code = latest().total_g
    calculate(client, data=_flight("杭州", "北京"))
    assert latest().total_g == by_code
    calculate(client, data=_flight("Hangzhou", "beijing"))
    assert latest().total_g == by_code


def test_an_unknown_city_is_a_clear_error_in_the_readers_language(client):
    response = post(client, "/footprint/household", _flight("杭洲", "北京"))
    assert response.status_code == 400
    assert "未知的机场或城市。请填写城市（如杭州）或机场代码（如 HGH）。" in response.get_data(
        as_text=True
    )
    assert 'value="杭洲"' in response.get_data(as_text=True)


def test_numbers_with_commas_full_width_digits_and_units(client):
    calculate(client, data={**HOUSEHOLD, "electricity": "3600"})
    plain = latest().total_g
    for typed in ("3,600", "３６００", "3600 kWh", "3,600度"):
        calculate(client, data={**HOUSEHOLD, "electricity": typed})
        assert latest().total_g == plain, typed
    response = post(client, "/footprint/household", {**HOUSEHOLD, "electricity": "3,60,0"})
    assert response.status_code == 400
    assert "数字分组请每三位一个逗号" in response.get_data(as_text=True)


def test_airport_suggestions_in_the_readers_language(client):
    html = client.get("/footprint/household").get_data(as_text=True)
    datalist = re.search(r'<datalist id="airport-list">(.*?)</datalist>', html, re.S).group(1)
    assert '<option value="HGH">杭州 · 杭州萧山国际机场</option>' in datalist
    assert '<option value="YZY">张掖 · 张掖甘州机场</option>' in datalist
    assert "Airport" not in datalist and " · <" not in datalist
    client.set_cookie("lang", "en")
    html = client.get("/footprint/household").get_data(as_text=True)
    datalist = re.search(r'<datalist id="airport-list">(.*?)</datalist>', html, re.S).group(1)
    assert '<option value="HGH">Hangzhou · Hangzhou Xiaoshan International Airport</option>' in (
        datalist
    )
    assert re.search(r"[\u4e00-\u9fff]", datalist) is None
