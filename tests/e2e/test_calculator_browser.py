"""A resident computes a household footprint on a phone and sees the breakdown chart."""

from __future__ import annotations

import re

from tests.support.browser import PHONE, new_page


def test_household_footprint_on_a_phone_shows_the_breakdown_chart(browser, live_server):
    context, page = new_page(browser, PHONE)
    try:
        page.goto(live_server.url + "/")
        page.get_by_role("link", name="计算我的碳足迹").click()
        page.wait_for_url(re.compile(r"/footprint/household$"))
        assert page.get_by_role("heading", name="家庭碳足迹核算").is_visible()

        page.get_by_label("省份").select_option(label="广东省")
        page.get_by_label("家庭人数").fill("3")
        page.get_by_label("用电量（千瓦时）").fill("300")
        page.get_by_role("radio", name="月").check()
        page.get_by_label("天然气（立方米/年）").fill("240")
        car = page.get_by_role("group", name="车辆 1")
        car.get_by_label("燃料").select_option("petrol")
        car.get_by_label("每年公里数").fill("8000")
        page.get_by_label("地铁（公里/年）").fill("2000")
        flight = page.get_by_role("group", name="航班 1")
        flight.get_by_label("出发地（城市或机场）").fill("广州")
        flight.get_by_label("目的地（城市或机场）").fill("北京")
        page.get_by_role("radio", name="低肉类（偶尔吃肉）").check()
        page.get_by_role("button", name="计算我的碳足迹").click()

        page.wait_for_url(re.compile(r"/footprint/r/[A-Za-z0-9_-]{24}$"))
        assert page.get_by_role("heading", name="家庭碳足迹核算结果").is_visible()
        total = page.locator("#total-tonnes").inner_text()
        assert re.fullmatch(r"\d+\.\d\d", total)

        chart = page.locator("svg.chart")
        chart.scroll_into_view_if_needed()
        assert chart.is_visible()
        assert chart.get_attribute("role") == "img"
        box = chart.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        bars = chart.locator("rect.chart-bar")
        categories = {bars.nth(i).get_attribute("data-category") for i in range(bars.count())}
        assert categories == {
            "electricity",
            "home_fuel",
            "car",
            "public_transport",
            "flights",
            "diet",
        }
        for i in range(bars.count()):
            bar = bars.nth(i)
            assert bar.is_visible()
            assert float(bar.get_attribute("width")) > 0
        # the largest category spans the whole chart; labels are readable text in the SVG
        widths = sorted(float(bars.nth(i).get_attribute("width")) for i in range(bars.count()))
        assert widths[-1] == 360
        assert chart.locator("text", has_text="电力").is_visible()

        # the page fits the phone: no sideways scrolling
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= PHONE["width"]

        # the table equivalent opens without JavaScript of our own
        page.get_by_text("以表格查看同样的数据").click()
        assert page.get_by_role("cell", name=re.compile(r"%$")).first.is_visible()
        page.screenshot(path=str(live_server.app.instance_path) + "/footprint-phone.png")
    finally:
        context.close()
