"""A new visitor registers, logs out, logs in, and switches language — in Chromium on a phone."""

from __future__ import annotations

import re

from tests.support.browser import PHONE, new_page


def test_register_logout_login_and_switch_language(browser, live_server):
    context, page = new_page(browser, PHONE)
    try:
        page.goto(live_server.url + "/")
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        page.get_by_role("link", name="注册").click()

        page.get_by_label("电子邮箱").fill("mei@example.cn")
        page.get_by_label("显示名称").fill("李小梅")
        page.get_by_label("密码", exact=True).fill("bamboo-grove-7")
        page.get_by_label("再次输入密码").fill("bamboo-grove-7")
        page.get_by_role("button", name="创建账户").click()
        page.wait_for_url(re.compile(r"/account$"))
        assert page.get_by_role("heading", name="我的账户").is_visible()
        assert "李小梅" in page.content()

        page.get_by_role("button", name="退出").click()
        page.wait_for_url(re.compile(r"/$"))
        assert page.get_by_text("您已退出登录。").is_visible()

        page.get_by_role("link", name="登录").first.click()
        page.get_by_label("电子邮箱").fill("mei@example.cn")
        page.get_by_label("密码").fill("bamboo-grove-7")
        page.get_by_role("button", name="登录").click()
        # Logging in from the header returns to the page the visitor was on.
        page.wait_for_url(re.compile(r"/$"))
        page.get_by_role("link", name="李小梅").click()
        page.wait_for_url(re.compile(r"/account$"))

        page.get_by_role("button", name="English").click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.get_by_role("heading", name="My account").is_visible()
        page.screenshot(path=str(live_server.app.instance_path) + "/account-en.png")

        page.get_by_role("button", name="简体中文").click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        assert page.get_by_role("heading", name="我的账户").is_visible()
    finally:
        context.close()
