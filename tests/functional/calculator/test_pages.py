"""Calculator pages: forms, inline errors (zh and en), results, history, ownership, methodology."""

from __future__ import annotations

import re
from decimal import ROUND_CEILING, Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import url_for
from sqlalchemy import func, select

from tests.support.app import AuthActions
from tests.support.calculator import EVENT, HOUSEHOLD, calculate, latest, post
from webapp.errors import DomainError, NotFound
from webapp.extensions import db
from webapp.models import CalculationKind, FootprintCalculation
from webapp.services import footprint_records
from webapp.services.footprint import load_factor_set


def count() -> int:
    n = db.session.scalar(select(func.count()).select_from(FootprintCalculation))
    db.session.rollback()  # end the read: SQLite writers must not wait for the test
    return n


def field_error(html: str, field_id: str) -> str:
    match = re.search(rf'<p class="error" id="{re.escape(field_id)}-error">([^<]*)</p>', html)
    assert match, f"no inline error for {field_id}"
    return match.group(1)


def control(html: str, field_id: str) -> str:
    """The opening tag of the form control ``field_id`` (input, select or textarea)."""
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
        if f'id="{field_id}"' in tag:
            return tag
    raise AssertionError(f"no form control {field_id}")


# ---- pages -----------------------------------------------------------------------------------


def test_household_form_is_plain_html_in_chinese(client):
    response = client.get("/footprint/household")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "家庭碳足迹核算" in html
    assert html.count('<option value="CN-') == 31 and ">广东省<" in html
    assert '<datalist id="airport-list">' in html and '<option value="PEK">' in html
    assert 'list="airport-list"' in html
    assert html.count('name="diet"') == 7 and re.search(
        r'<input checked[^>]*value="medium_meat"', html
    )
    assert 'name="electricity_period"' in html
    assert html.count('name="cars-') == 6 and html.count("-origin") >= 4
    assert 'inputmode="decimal"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert " style=" not in html and not re.search(r"\son[a-z]+=", html)


def test_forms_in_english(client):
    client.set_cookie("lang", "en")
    household = client.get("/footprint/household").get_data(as_text=True)
    assert "Household carbon footprint" in household and ">Guangdong<" in household
    event = client.get("/footprint/event").get_data(as_text=True)
    assert "Meeting or event carbon footprint" in event
    assert 'name="travel-4-mode"' in event and 'name="vehicles-2-km"' in event


def test_navigation_links_to_the_calculator(client):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/footprint/household"' in html and 'href="/footprint/methodology"' in html


# ---- anonymous calculation, result page ------------------------------------------------------


def test_anonymous_household_is_saved_under_a_token_and_shown(client):
    token = calculate(client)
    calc = latest()
    assert calc.token == token and calc.user_id is None
    assert calc.kind is CalculationKind.HOUSEHOLD and calc.factor_set == "cn-2026.1"
    assert calc.label == "我家 2026"
    # the stored input is the engine's normalised input
    assert calc.inputs["province"] == "CN-GD" and calc.inputs["diet"] == "medium_meat"
    assert calc.inputs["cars"] == [
        {"fuel": "petrol", "km": "8000"},
        {"fuel": "electric", "km": "10000"},
    ]
    assert calc.inputs["flights"] == [
        {"from": "CAN", "to": "PEK", "return": True, "cabin": "average", "passengers": 1}
    ]
    total = Decimal(calc.result["total_kg"])
    assert calc.total_g == int((total * 1000).to_integral_value())

    response = client.get(f"/footprint/r/{token}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]
    assert "家庭碳足迹核算结果" in html and "我家 2026" in html
    # the chart: an accessible server-rendered SVG with one bar per category
    svg = re.search(r"<svg class=\"chart\".*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg and '<title id="chart-title">' in svg and "<desc" in svg
    bars = re.findall(r'class="chart-bar c\d" data-category="(\w+)"', svg)
    assert set(bars) == set(calc.result["by_category"])
    assert "电力" in svg and "航空出行" in svg and " style=" not in html
    # the table of lines: factor, unit, id, source, verification
    assert "cn.grid.province.guangdong.2022" in html and "二手来源" in html
    assert "uk.air.short_haul.avg.with_rf.2024" in html
    assert "uk.air.short_haul.avg.without_rf.2024" in html and "不计辐射强迫" in html
    assert "assume.ev.kwh_per_100km" in html and "未核实" in html  # electric car assumption
    assert "CAN → PEK" in html
    # per person and the honest benchmark
    assert (
        "人均" in html
        and "全国人均能源相关二氧化碳排放" in html
        and "并不是普通家庭的碳足迹" in html
    )
    assert "减排潜力最大的方面" in html
    # the private link is shown to an anonymous visitor
    assert f"/footprint/r/{token}" in html and "专属链接" in html


def test_result_in_english_with_hints_and_rf_note(client):
    client.set_cookie("lang", "en")
    token = calculate(client)
    html = client.get(f"/footprint/r/{token}").get_data(as_text=True)
    assert "Household footprint result" in html
    assert "Flights are counted with radiative forcing" in html
    assert "Where you can cut the most" in html and "Food: moving your household" in html
    assert "whole economy" in html and "not the footprint of an average household" in html


def test_stored_calculation_reproduces_exactly(client):
    calculate(client)
    calc = latest()
    inputs, result = footprint_records.calculate(calc.kind, calc.inputs, calc.factor_set)
    assert inputs == calc.inputs
    assert result.to_dict() == calc.result
    assert footprint_records.stored_result(calc).to_dict() == calc.result


def test_anonymous_token_works_for_anyone_who_has_it(app, client, make_user):
    token = calculate(client)
    other = app.test_client()
    assert other.get(f"/footprint/r/{token}").status_code == 200
    make_user(email="wang@example.cn")
    AuthActions(other).login(email="wang@example.cn")
    assert other.get(f"/footprint/r/{token}").status_code == 200


@pytest.mark.parametrize(
    "token",
    ["doesnotexistdoesnotexist", "short", "../../etc/passwd", "x" * 40, "a b c d e f g h i"],
)
def test_unknown_or_malformed_token_is_404(client, token):
    response = client.get(f"/footprint/r/{token}")
    assert response.status_code == 404


def test_event_form_computes_and_shows_categories(client):
    token = calculate(client, "event", EVENT)
    calc = latest()
    assert calc.kind is CalculationKind.EVENT
    assert calc.inputs["province"] == "CN-SD" and calc.inputs["vegetarian_share"] == "0.25"
    assert [t["mode"] for t in calc.inputs["travel"]] == ["high_speed_rail", "flight"]
    assert calc.inputs["round_trip"] is True and calc.inputs["materials"] == {"paper_kg": "20"}
    html = client.get(f"/footprint/r/{token}").get_data(as_text=True)
    assert "活动碳足迹核算结果" in html and "参会人员和工作人员出行" in html and "住宿餐饮" in html
    assert "人均" in html and "全国人均能源相关" not in html  # no household benchmark for events


def test_event_round_trip_unchecked_means_one_way(client):
    data = {k: v for k, v in EVENT.items() if k != "round_trip"}
    calculate(client, "event", data)
    calc = latest()
    assert calc.inputs["round_trip"] is False


def test_empty_household_still_shows_a_result_without_lines(client):
    token = calculate(client, data={"province": "CN-BJ", "household_size": "1", "diet": "none"})
    html = client.get(f"/footprint/r/{token}").get_data(as_text=True)
    assert "暂无可显示的内容" in html and 'id="offset-this"' not in html


# ---- bad input: inline errors, 400, nothing saved -----------------------------------------------

BAD_HOUSEHOLD = [
    # (override, field id, zh message, en message)
    ({"electricity": "-5"}, "electricity", "不能为负数。", "Must not be negative."),
    (
        {"natural_gas_m3": "abc"},
        "natural_gas_m3",
        "请输入普通十进制数字，例如 12.5。",
        "Must be a plain decimal number such as 12.5.",
    ),
    (
        {"lpg_kg": "NaN"},
        "lpg_kg",
        "请输入普通十进制数字，例如 12.5。",
        "Must be a plain decimal number such as 12.5.",
    ),
    (
        {"heat_gj": "Infinity"},
        "heat_gj",
        "请输入普通十进制数字，例如 12.5。",
        "Must be a plain decimal number such as 12.5.",
    ),
    (
        {"electricity": "99999999999"},
        "electricity",
        "不能大于 1000000。",
        "Must be at most 1000000.",
    ),
    (
        {"electricity": "1e12"},
        "electricity",
        "请输入普通十进制数字，例如 12.5。",
        "Must be a plain decimal number such as 12.5.",
    ),
    (
        {"province": "XX"},
        "province",
        "请从列表中选择省份。",
        "Choose a province from the list.",
    ),
    (
        {"flights-1-origin": "ZZZ"},
        "flights-1-origin",
        "未知的机场或城市。请填写城市（如杭州）或机场代码（如 HGH）。",
        "Unknown airport or city. Type a city (杭州, Hangzhou) or an airport code (HGH).",
    ),
    ({"household_size": ""}, "household_size", "此项为必填项。", "This field is required."),
    ({"household_size": "2.5"}, "household_size", "必须是整数。", "Must be a whole number."),
    ({"cars-0-fuel": ""}, "cars-0-fuel", "此项为必填项。", "This field is required."),
    (
        {"flights-1-distance_km": "800"},
        "flights-1-distance_km",
        "机场和距离只需填写一项。",
        "Give either airports or a distance, not both.",
    ),
    (
        {"heat_gj": "10", "heated_area_m2": "80"},
        "heated_area_m2",
        "供热量（吉焦）和供暖面积只需填写一项。",
        "Give either the heat in GJ or the heated floor area, not both.",
    ),
    (
        {"flights-3-cabin": "first", "flights-3-distance_km": "900"},
        "flights-3-cabin",
        "必须是以下之一：average, economy, business。",
        "Must be one of: average, economy, business.",
    ),
]


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
@pytest.mark.parametrize(("override", "field", "zh", "en"), BAD_HOUSEHOLD)
def test_household_bad_input_inline_errors(client, lang, override, field, zh, en):
    client.set_cookie("lang", lang)
    response = post(client, "/footprint/household", {**HOUSEHOLD, **override})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert field_error(html, field) == (zh if lang == "zh_CN" else en)
    assert 'aria-invalid="true"' in control(html, field)
    assert 'class="error-summary"' in html and f'href="#{field}"' in html
    assert count() == 0
    # what was typed is kept
    for key, value in override.items():
        if value and key not in ("province", "flights-3-cabin"):
            assert f'value="{value}"' in html


def test_many_errors_at_once_are_listed_in_page_order(client):
    client.set_cookie("lang", "en")
    response = post(
        client,
        "/footprint/household",
        {
            "province": "",
            "household_size": "0",
            "cars-1-km": "-1",
            "cars-1-fuel": "diesel",
            "flights-0-origin": "PEK",
            "waste_kg": "1,00,0",
            "label": "x" * 200,
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    ids = re.findall(r'href="#([\w-]+)"', summary)
    assert ids == [
        "province",
        "household_size",
        "cars-1-km",
        "flights-0-destination",
        "waste_kg",
        "label",
    ]
    assert "Car 2 – Kilometres per year" in summary
    assert field_error(html, "household_size") == "Must be at least 1."
    assert count() == 0


def test_diet_tampering_and_full_width_digits(client):
    client.set_cookie("lang", "en")
    response = post(client, "/footprint/household", {**HOUSEHOLD, "diet": "carnivore"})
    assert response.status_code == 400
    assert "Must be one of:" in field_error(response.get_data(as_text=True), "diet")
    # full-width digits typed on a Chinese keyboard are understood
    calculate(client, data={**HOUSEHOLD, "household_size": "３", "electricity": "３６００"})
    assert latest().inputs["electricity_kwh"] == "3600"


def test_monthly_electricity(client):
    calculate(client, data={**HOUSEHOLD, "electricity": "300", "electricity_period": "month"})
    calc = latest()
    assert calc.inputs["electricity_kwh_month"] == "300" and "electricity_kwh" not in calc.inputs
    line = next(x for x in calc.result["lines"] if x["category"] == "electricity")
    assert line["quantity"] == "3600"


@pytest.mark.parametrize(
    ("override", "field", "message"),
    [
        ({"participants": ""}, "participants", "This field is required."),
        ({"participants": "0"}, "participants", "Must be at least 1."),
        ({"travel-0-people": "-3"}, "travel-0-people", "Must not be negative."),
        ({"travel-3-mode": "rocket"}, "travel-3-mode", "Must be one of:"),
        ({"vegetarian_percent": "150"}, "vegetarian_percent", "Enter a percentage from 0 to 100."),
        ({"vegetarian_percent": "abc"}, "vegetarian_percent", "Enter a percentage from 0 to 100."),
        ({"meals": "12.5"}, "meals", "Must be a whole number."),
        ({"days": "400"}, "days", "Must be at most 366."),
        ({"vehicles-1-fuel": "petrol"}, "vehicles-1-km", "This field is required."),
        ({"province": "Atlantis"}, "province", "Choose a province from the list."),
    ],
)
def test_event_bad_input_inline_errors(client, override, field, message):
    client.set_cookie("lang", "en")
    response = post(client, "/footprint/event", {**EVENT, **override})
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), field).startswith(message)
    assert count() == 0


def test_event_errors_in_chinese(client):
    response = post(client, "/footprint/event", {**EVENT, "room_nights": "-1", "paper_kg": "x"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert field_error(html, "room_nights") == "不能为负数。"
    assert field_error(html, "paper_kg") == "请输入普通十进制数字，例如 12.5。"
    assert count() == 0


def test_post_without_csrf_token_is_refused_and_nothing_saved(client):
    response = client.post("/footprint/household", data=HOUSEHOLD)
    assert response.status_code == 400
    assert count() == 0


def test_calculator_posts_are_rate_limited(app, client):
    app.config["CALCULATOR_RATE_LIMIT"] = "2 per minute"
    calculate(client)
    calculate(client)
    response = post(client, "/footprint/household", HOUSEHOLD)
    assert response.status_code == 429
    assert count() == 2


# ---- signed in: history and ownership ----------------------------------------------------------


def test_signed_in_calculations_are_saved_and_listed_for_their_owner_only(app, client, auth):
    auth.register()
    token = calculate(client)
    calc = latest()
    assert calc.user_id is not None

    history = client.get("/footprint/history").get_data(as_text=True)
    assert f"/footprint/r/{token}" in history and "我家 2026" in history
    page = client.get(f"/footprint/r/{token}").get_data(as_text=True)
    assert "已保存到“我的核算”" in page and "专属链接" not in page

    # another user: not in their history, and the token answers 404
    other = app.test_client()
    AuthActions(other).register(email="zhang@example.cn", name="张三")
    other_token = calculate(other, "event", EVENT)
    other_history = other.get("/footprint/history").get_data(as_text=True)
    assert token not in other_history and other_token in other_history
    assert other.get(f"/footprint/r/{token}").status_code == 404
    assert client.get(f"/footprint/r/{other_token}").status_code == 404
    # and an anonymous visitor holding the link cannot open it either
    assert app.test_client().get(f"/footprint/r/{token}").status_code == 404


def test_history_requires_login(client):
    response = client.get("/footprint/history")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_empty_history(client, auth):
    auth.register()
    html = client.get("/footprint/history").get_data(as_text=True)
    assert "您还没有保存任何核算。" in html


def test_records_service_rules(app, make_user):
    owner, stranger = make_user(), make_user()
    mine = footprint_records.save(
        db.session, kind="household", data={"province": "BJ", "household_size": 2}, user=owner
    )
    anonymous = footprint_records.save(
        db.session, kind="event", data={"province": "CN-SH", "participants": 10}
    )
    db.session.commit()
    assert footprint_records.get_visible(db.session, mine.token, owner) is mine
    assert footprint_records.get_visible(db.session, anonymous.token, stranger) is anonymous
    assert footprint_records.get_visible(db.session, anonymous.token, None) is anonymous
    for viewer in (stranger, None):
        with pytest.raises(NotFound):
            footprint_records.get_visible(db.session, mine.token, viewer)
    assert footprint_records.list_for_user(db.session, owner) == [mine]
    assert footprint_records.list_for_user(db.session, stranger) == []
    with pytest.raises(DomainError):
        footprint_records.save(
            db.session,
            kind="household",
            data={"province": "BJ", "household_size": 2},
            label="x" * 121,
        )
    assert len(mine.token) == 24 and mine.token != anonymous.token


# ---- offset action ---------------------------------------------------------------------------


def _offset_link(client, token: str) -> str | None:
    html = client.get(f"/footprint/r/{token}").get_data(as_text=True)
    match = re.search(r'id="offset-this" href="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def test_offset_action_is_hidden_without_an_offset_flow(app, client):
    app.view_functions.pop("offset.start", None)
    app.view_functions.pop("registry.projects", None)
    token = calculate(client)
    assert _offset_link(client, token) is None


def test_offset_action_falls_back_to_the_projects_list(app, client):
    app.view_functions.pop("offset.start", None)
    if "registry.projects" not in app.view_functions:
        app.add_url_rule("/projects-test", "registry.projects", lambda: "projects")
    with app.test_request_context():
        expected = url_for("registry.projects")
    token = calculate(client)
    assert _offset_link(client, token) == expected


def test_offset_action_carries_tonnes_and_calculation(app, client):
    if "offset.start" not in app.view_functions:
        app.add_url_rule("/offset-test", "offset.start", lambda: "offset")
    token = calculate(client)
    calc = latest()
    link = urlsplit(_offset_link(client, token))
    with app.test_request_context():
        assert link.path == url_for("offset.start")
    query = parse_qs(link.query)
    kg = Decimal(calc.result["total_kg"]).to_integral_value(rounding=ROUND_CEILING)
    assert Decimal(query["tonnes"][0]) == kg / 1000
    assert query["calculation"] == [token]


# ---- methodology -----------------------------------------------------------------------------


def test_methodology_lists_every_factor_from_the_set(client):
    fs = load_factor_set()
    response = client.get("/footprint/methodology")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for factor in fs.factors.values():
        assert f'id="factor-{factor.id}"' in html, factor.id
    assert "未经核实的数据" in html and "assume.heat.gj_per_m2_year" in html
    assert html.count('class="badge unverified"') >= sum(
        f.verification == "UNVERIFIED" for f in fs.factors.values()
    )
    assert "二氧化碳（CO₂）与二氧化碳当量（CO₂e）并用" in html
    assert "大型活动碳中和实施指南" in html and "3,700" in html
    assert "0.4403" in html and "广东省" in html and "西南" in html
    assert 'href="/api/v1/factor-sets/cn-2026.1"' in html


def test_methodology_in_english_and_unknown_version(client):
    client.set_cookie("lang", "en")
    html = client.get("/footprint/methodology?version=cn-2026.1").get_data(as_text=True)
    assert "Methodology and emission factors" in html and "Figures that are NOT verified" in html
    assert client.get("/footprint/methodology?version=cn-1999.1").status_code == 404
    assert client.get("/footprint/methodology?version=../x").status_code == 404
