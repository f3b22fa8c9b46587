"""A resident on a phone offsets 2.4 t with the demo provider and finds the retirement in
the public register."""

from __future__ import annotations

import re

from tests.support.browser import PHONE, new_page
from tests.support.registry import make_project
from webapp.extensions import db
from webapp.models import Delivery, IssuanceStatus, Role
from webapp.services import accounts
from webapp.services.registry import issuance as issuance_service


def _seed(app) -> None:
    from datetime import date
    from decimal import Decimal

    with app.app_context():
        maker = accounts.register(
            db.session,
            email="m@x.cn",
            password="correct-horse-9",
            display_name="m",
            role=Role.ADMIN,
        )
        checker = accounts.register(
            db.session,
            email="c@x.cn",
            password="correct-horse-9",
            display_name="c",
            role=Role.ADMIN,
        )
        accounts.register(
            db.session,
            email="mei@example.cn",
            password="bamboo-grove-7",
            display_name="李小梅",
            role=Role.RESIDENT,
        )
        project = make_project()
        draft = issuance_service.IssuanceDraft(
            vintage=2024,
            period_start=date(2024, 1, 1),
            period_end=date(2024, 12, 31),
            quantity_kg=10_000,
            price_per_tonne=Decimal("80.00"),
            delivery=Delivery.VERIFIED,
        )
        issuance = issuance_service.draft(db.session, project, draft, actor=maker)
        issuance_service.approve(db.session, issuance, actor=checker)
        issuance_service.set_status(db.session, issuance, IssuanceStatus.ON_SALE, actor=checker)
        db.session.commit()


def test_offset_with_the_demo_provider_and_find_it_in_the_register(browser, live_server):
    _seed(live_server.app)
    context, page = new_page(browser, PHONE)
    try:
        page.goto(live_server.url + "/offset?tonnes=2.4")
        page.wait_for_url(re.compile(r"/account/login"))
        page.get_by_label("电子邮箱").fill("mei@example.cn")
        page.get_by_label("密码").fill("bamboo-grove-7")
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r"/offset\?tonnes=2.4"))

        assert page.get_by_label("数量（吨二氧化碳当量）").input_value() == "2.400"
        page.get_by_label("证书上的名称").fill("李小梅一家")
        page.get_by_role("radio", name="显示全名").check()
        page.get_by_role("button", name="查看价格").click()
        assert page.locator(".total-figure").inner_text() == "¥192.00"
        page.get_by_role("button", name="确认并支付 ¥192.00").click()

        page.wait_for_url(re.compile(r"/orders/TH[0-9A-Z]{8}$"))
        ref = page.url.rsplit("/", 1)[1]
        assert page.get_by_text("待支付").first.is_visible()
        page.get_by_role("link", name="立即支付").click()

        page.wait_for_url(re.compile(r"/pay/demo/cs_demo_"))
        assert page.get_by_text("演示 / DEMO").is_visible()
        page.get_by_role("button", name="支付 ¥192.00（演示）").click()

        page.wait_for_url(re.compile(rf"/orders/{ref}$"))
        assert page.get_by_role("heading", name="已支付并注销").is_visible()
        assert page.get_by_text("付款已确认，谢谢！").is_visible()
        serial = page.locator("dd.mono").filter(has_text="TH-TA-CLS-2024").inner_text()

        page.goto(live_server.url + "/registry/retirements")
        page.get_by_role("searchbox").fill("李小梅")
        page.get_by_role("searchbox").press("Enter")
        row = page.locator("table tbody tr").filter(has_text="李小梅一家")
        assert row.count() == 1
        assert "2.400" in row.inner_text()
        assert serial.split()[0][:20] in row.inner_text()
    finally:
        context.close()
