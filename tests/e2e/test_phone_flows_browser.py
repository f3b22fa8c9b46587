"""Phone flows that lead (issue 21, parts 6 and 7), on a 390 px phone in zh-CN against the
demo data: "查看价格" lands on the price and the pay button (with and without JavaScript),
the organiser's 抵消 shows the price first, a wide table shows its scroll cue, the judicial
fields appear only for judicial restoration, and a staff refund is confirmed on a page that
shows what it does."""

from __future__ import annotations

import re

from tests.support.browser import DESKTOP, PHONE, new_page
from webapp.extensions import db
from webapp.services import demo


def _seed(app) -> None:
    with app.app_context():
        demo.load(db.session)
        db.session.commit()


def _log_in(page, url, email, password) -> None:
    page.goto(url + "/account/login")
    page.get_by_label("电子邮箱").fill(email)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def _in_viewport(page, selector: str) -> bool:
    return page.evaluate(
        """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
                      return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0; }""",
        selector,
    )


def _price_and_button_in_view(page) -> None:
    assert page.url.endswith("#quote")
    assert _in_viewport(page, "#quote .total-figure")
    assert _in_viewport(page, "#quote button[name=confirm]")


def test_show_the_price_lands_on_the_price_with_and_without_javascript(browser, live_server):
    _seed(live_server.app)
    for javascript in (True, False):
        context = browser.new_context(
            viewport=PHONE, locale="zh-CN", is_mobile=True, java_script_enabled=javascript
        )
        page = context.new_page()
        page.set_default_timeout(15000)
        try:
            _log_in(page, live_server.url, "resident@tanhui.local", "demo-resident-2026")
            page.goto(live_server.url + "/offset?tonnes=2.4")
            assert page.evaluate("scrollY") == 0 if javascript else True
            page.get_by_role("button", name="查看价格").click()
            page.wait_for_load_state()
            _price_and_button_in_view(page)
            assert page.get_by_role("button", name=re.compile(r"^确认并支付 ¥")).is_visible()

            page.goto(live_server.url + "/sites/CLS-JN/sponsor")
            page.locator("input[name=plots]").first.check()
            page.get_by_role("button", name="查看价格").click()
            page.wait_for_load_state()
            _price_and_button_in_view(page)
        finally:
            context.close()


def test_judicial_fields_only_for_judicial_restoration(browser, live_server):
    _seed(live_server.app)
    context, page = new_page(browser, PHONE)
    try:
        _log_in(page, live_server.url, "resident@tanhui.local", "demo-resident-2026")
        page.goto(live_server.url + "/offset")
        assert not page.locator("#case_number").is_visible()
        assert page.locator("input[name=invoice_title]").count() == 0
        assert page.locator("input[type=radio][name=method]").count() == 0
        page.locator("#purpose").select_option("judicial_restoration")
        assert page.locator("#case_number").is_visible() and page.locator("#court").is_visible()
        page.locator("#purpose").select_option("gift")
        assert not page.locator("#case_number").is_visible()
    finally:
        context.close()


def test_a_wide_table_shows_its_scroll_cue_on_a_phone_only(browser, live_server):
    _seed(live_server.app)
    cue = """() => { const w = document.querySelector('.table-wrap.wide');
                     const s = getComputedStyle(w, '::before');
                     return {content: s.content, display: s.display,
                             overflows: w.scrollWidth > w.clientWidth}; }"""
    context, page = new_page(browser, PHONE)
    try:
        page.goto(live_server.url + "/registry/retirements")
        phone = page.evaluate(cue)
        assert phone["overflows"] and phone["display"] == "block"
        assert "左右滑动表格" in phone["content"]
        page.goto(live_server.url + "/registry/ledger")
        assert "左右滑动表格" in page.evaluate(cue)["content"]
    finally:
        context.close()
    context, page = new_page(browser, DESKTOP, locale="en")
    try:
        page.goto(live_server.url + "/registry/retirements")
        assert page.evaluate(cue)["display"] == "none"
    finally:
        context.close()


def test_the_event_offset_shows_the_price_before_reserving(browser, live_server):
    _seed(live_server.app)
    context, page = new_page(browser, PHONE)
    try:
        _log_in(page, live_server.url, "organiser@tanhui.local", "demo-organiser-2026")
        with live_server.app.app_context():
            from webapp.models import Event

            code = db.session.scalars(db.select(Event.code)).first()
        page.goto(live_server.url + f"/events/{code}/manage")
        button = page.get_by_role("button", name=re.compile(r"^(抵消|补足) [0-9.]+ 吨$"))
        if button.count():
            button.click()
            page.wait_for_load_state()
            _price_and_button_in_view(page)
            assert page.get_by_text("确认之前不会预留任何碳汇").first.is_visible()
    finally:
        context.close()


def test_a_staff_refund_is_confirmed_on_a_page_showing_what_it_does(browser, live_server):
    _seed(live_server.app)
    context, page = new_page(browser, PHONE)
    try:
        # A resident pays an offset with the demo provider.
        _log_in(page, live_server.url, "resident@tanhui.local", "demo-resident-2026")
        page.goto(live_server.url + "/offset?tonnes=1")
        page.get_by_role("button", name="查看价格").click()
        page.get_by_role("button", name=re.compile(r"^确认并支付 ¥")).click()
        page.wait_for_url(re.compile(r"/orders/TH[0-9A-Z]{8}$"))
        ref = page.url.rsplit("/", 1)[1]
        page.get_by_role("link", name="立即支付").click()
        page.wait_for_url(re.compile(r"/pay/demo/"))
        page.locator("form[action$='/pay'] button").click()
        page.wait_for_url(re.compile(rf"/orders/{ref}"))
        context.clear_cookies()

        _log_in(page, live_server.url, "admin@tanhui.local", "demo-admin-2026")
        page.goto(live_server.url + f"/admin/orders/{ref}")
        page.locator("#reason").fill("买错了数量")
        page.get_by_role("button", name=re.compile(r"^退款 ¥")).click()
        page.wait_for_load_state()
        # The confirmation page: amount, serials, certificates; nothing refunded yet.
        assert page.locator("#confirm-amount").inner_text().startswith("¥")
        assert page.locator("#confirm-serials").inner_text().startswith("TH-")
        assert re.fullmatch(r"[0-9A-Z]{10}", page.locator("#confirm-certificates").inner_text())
        assert page.get_by_text("买错了数量").is_visible()
        page.screenshot(path="/tmp/phoneux-refund-confirm.png")
        page.get_by_role("button", name=re.compile(r"^退款 ¥")).click()
        page.wait_for_url(re.compile(rf"/admin/orders/{ref}$"))
        assert page.get_by_text("订单已退款").first.is_visible()
    finally:
        context.close()
