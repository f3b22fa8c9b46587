"""Done-when journey of issue 8: an organiser creates an event, five attendees answer the
travel survey on phones, the organiser offsets the estimate with the demo provider, trues
up after the event, and downloads the report and the certificate; and, when the true-up
comes out below the offset, refunds the surplus and gets the re-issued certificate."""

from __future__ import annotations

import os
import re
from datetime import timedelta

from tests.support.browser import DESKTOP, PHONE, new_page
from tests.support.events import ACTUAL, ESTIMATE, shanghai_today
from tests.support.registry import make_project
from webapp.extensions import db
from webapp.models import CalculationKind, Delivery, IssuanceStatus, Role
from webapp.services import accounts, footprint_records
from webapp.services.registry import issuance as issuance_service

SHOTS = os.environ.get("EVENT_SCREENSHOTS")  # a folder to keep screenshots in (optional)


def _seed(app, actual=ACTUAL) -> None:
    from datetime import date
    from decimal import Decimal

    with app.app_context():
        maker = accounts.register(
            db.session, email="m@x.cn", password="correct-horse-9", display_name="m",
            role=Role.ADMIN,
        )  # fmt: skip
        checker = accounts.register(
            db.session, email="c@x.cn", password="correct-horse-9", display_name="c",
            role=Role.ADMIN,
        )  # fmt: skip
        organiser = accounts.register(
            db.session, email="org@example.cn", password="forum-green-7",
            display_name="王主办", role=Role.ORGANISER,
        )  # fmt: skip
        project = make_project()
        draft = issuance_service.IssuanceDraft(
            vintage=2024,
            period_start=date(2024, 1, 1),
            period_end=date(2024, 12, 31),
            quantity_kg=50_000,
            price_per_tonne=Decimal("80.00"),
            delivery=Delivery.VERIFIED,
        )
        issuance = issuance_service.draft(db.session, project, draft, actor=maker)
        issuance_service.approve(db.session, issuance, actor=checker)
        issuance_service.set_status(db.session, issuance, IssuanceStatus.ON_SALE, actor=checker)
        # The organiser saved two runs of the event calculator: the plan and the actuals.
        for label, data in (("论坛预估", ESTIMATE), ("论坛实际", actual)):
            footprint_records.save(
                db.session, kind=CalculationKind.EVENT, data=data, user=organiser, label=label
            )
        db.session.commit()


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def _choose(page, select: str, text: str) -> None:
    value = page.locator(f"{select} option", has_text=text).get_attribute("value")
    page.locator(select).select_option(value)


def _pay_with_demo(page) -> None:
    page.wait_for_url(re.compile(r"/orders/TH[0-9A-Z]{8}$"))
    page.get_by_role("link", name="立即支付").click()
    page.wait_for_url(re.compile(r"/pay/demo/cs_demo_"))
    page.get_by_role("button", name=re.compile(r"支付 ¥[0-9.,]+（演示）")).click()
    page.wait_for_url(re.compile(r"/orders/TH[0-9A-Z]{8}$"))
    assert page.get_by_role("heading", name="已支付并注销").is_visible()


def test_organiser_runs_a_zero_carbon_forum(browser, live_server, tmp_path):
    _seed(live_server.app)
    yesterday = shanghai_today() - timedelta(days=1)
    context, page = new_page(browser, DESKTOP)
    try:
        code = _log_in_and_create_event(page, live_server, yesterday, with_invoice=True)

        _choose(page, "#estimate-calculation", "论坛预估")
        page.get_by_role("button", name="用作预估值").click()
        assert page.get_by_text("预估值已关联到活动。").is_visible()
        survey_url = page.locator("#survey-link").inner_text()

        # Five attendees answer on their own phones.
        answers = [
            ("high_speed_rail", "北京", ""),
            ("flight", "", "1800"),
            ("car", "", "35"),
            ("high_speed_rail", "上海", ""),
            ("metro_bus", "", "12"),
        ]
        mode_names = {"high_speed_rail": "高铁", "flight": "飞机", "car": "小汽车",
                      "metro_bus": "地铁或公交"}  # fmt: skip
        for n, (mode, origin, km) in enumerate(answers):
            phone_context, phone = new_page(browser, PHONE)
            try:
                phone.goto(survey_url)
                phone.get_by_role("radio", name=mode_names[mode], exact=True).check()
                if origin:
                    phone.get_by_label("从哪个城市出发？").fill(origin)
                if km:
                    phone.get_by_label("或：单程距离（公里）").fill(km)
                if n == 0:
                    phone.get_by_label("备注（选填）").fill("<b>请多设素食</b>")
                    _shot(phone, "survey-390-zh.png")
                phone.get_by_role("button", name="提交回答").click()
                phone.wait_for_url(re.compile(r"/survey/thanks$"))
                assert phone.get_by_role("heading", name="谢谢！").is_visible()
                assert phone.locator("#personal-kg").is_visible()
                # The same phone cannot answer twice.
                phone.goto(survey_url)
                assert phone.get_by_text("此设备已经回答过本调查").first.is_visible()
            finally:
                phone_context.close()

        page.reload()
        assert page.locator("#survey-count").inner_text() == "已收到 5 份回答。"
        assert page.get_by_text("<b>请多设素食</b>").is_visible()  # shown as text

        # Offset the estimate with the demo provider.
        page.get_by_role("button", name=re.compile(r"^抵消 [0-9.]+ 吨$")).click()
        page.get_by_role("button", name=re.compile(r"^确认并支付 ")).click()
        _pay_with_demo(page)
        page.goto(live_server.url + f"/events/{code}")
        assert page.get_by_role("heading", name="零碳会议").is_visible()

        # True-up after the event: actual figures plus the survey's travel.
        page.goto(live_server.url + f"/events/{code}/manage")
        _choose(page, "#actual-calculation", "论坛实际")
        assert page.get_by_label("将参会者出行调查结果计入参会人员交通排放").is_checked()
        page.get_by_role("button", name="记录实际碳足迹").click()
        assert page.get_by_text("实际碳足迹已取代预估值。").is_visible()
        assert page.locator("#trueup-difference").inner_text().startswith("+")
        page.get_by_role("button", name=re.compile(r"^补足 [0-9.]+ 吨$")).click()
        page.get_by_role("button", name=re.compile(r"^确认并支付 ")).click()
        _pay_with_demo(page)
        with page.expect_download() as certificate:
            page.get_by_role("link", name="下载证书（PDF）").click()
        assert certificate.value.suggested_filename.endswith(".pdf")
        pdf_path = tmp_path / "certificate.pdf"
        certificate.value.save_as(pdf_path)
        assert pdf_path.read_bytes().startswith(b"%PDF")

        page.goto(live_server.url + f"/events/{code}/manage")
        assert page.get_by_text("已全部抵消").is_visible()
        with page.expect_download() as csv_download:
            page.get_by_role("link", name="活动报告（CSV）").click()
        csv_path = tmp_path / "report.csv"
        csv_download.value.save_as(csv_path)
        text = csv_path.read_text(encoding="utf-8-sig")
        assert "零碳,是" in text and "\n组织者," in text  # the report in the reader's words
        with page.expect_download() as pdf_download:
            page.get_by_role("link", name="活动报告（PDF）").click()
        report_path = tmp_path / "report.pdf"
        pdf_download.value.save_as(report_path)
        assert report_path.read_bytes().startswith(b"%PDF")
        if SHOTS:
            report_path.replace(os.path.join(SHOTS, "report.pdf"))

        page.goto(live_server.url + f"/events/{code}")
        assert page.get_by_role("heading", name="零碳会议").is_visible()
        assert page.get_by_text("实际碳足迹").first.is_visible()
        _shot(page, "event-1280-zh.png")
    finally:
        context.close()

    # The public page on a phone (Chinese) and on a desktop (English).
    for viewport, locale, name in ((PHONE, "zh-CN", "event-390-zh.png"),
                                   (DESKTOP, "en", "event-1280-en.png")):  # fmt: skip
        ctx, visitor = new_page(browser, viewport, locale=locale)
        try:
            if locale == "en":
                visitor.context.add_cookies(
                    [{"name": "lang", "value": "en", "url": live_server.url}]
                )
            visitor.goto(live_server.url + f"/events/{code}")
            assert visitor.locator(".zero-badge").is_visible()
            _shot(visitor, name)
        finally:
            ctx.close()


def _log_in_and_create_event(page, live_server, when, *, with_invoice: bool = False) -> str:
    """Log in as the organiser, register the organisation, create a one-day forum on
    ``when``; the event's code."""
    page.goto(live_server.url + "/organisations/new")
    page.get_by_label("电子邮箱").fill("org@example.cn")
    page.get_by_label("密码").fill("forum-green-7")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/organisations/new$"))
    page.get_by_label("单位名称").fill("济南绿色会展有限公司")
    page.get_by_label("单位类型").select_option("company")
    if with_invoice:
        page.get_by_label("发票抬头").fill("济南绿色会展有限公司")
        page.get_by_label("税号").fill("91370100MA3C000000")
    page.get_by_role("button", name="注册该单位").click()
    page.wait_for_url(re.compile(r"/organisations/\d+$"))
    page.get_by_role("link", name="新建活动").first.click()
    page.get_by_label("活动名称").fill("2026 泉城低碳论坛")
    page.get_by_label("活动类型").select_option("forum")
    page.get_by_label("开始日期").fill(when.isoformat())
    page.get_by_label("结束日期").fill(when.isoformat())
    page.get_by_label("场馆").fill("济南国际会展中心")
    page.get_by_label("城市").fill("济南")
    page.get_by_label("省份").select_option("CN-SD")
    page.get_by_label("预计参加人数").fill("40")
    page.get_by_role("button", name="创建活动").click()
    page.wait_for_url(re.compile(r"/events/[0-9A-Z]{8}/manage$"))
    return page.url.rsplit("/", 2)[1]


def test_organiser_refunds_the_surplus_of_a_smaller_true_up(browser, live_server):
    _seed(live_server.app, actual={"province": "CN-SD", "participants": 10, "meals": 10})
    context, page = new_page(browser, DESKTOP)
    try:
        code = _log_in_and_create_event(page, live_server, shanghai_today() - timedelta(days=1))
        manage = live_server.url + f"/events/{code}/manage"
        _choose(page, "#estimate-calculation", "论坛预估")
        page.get_by_role("button", name="用作预估值").click()
        page.get_by_role("button", name=re.compile(r"^抵消 [0-9.]+ 吨$")).click()
        page.get_by_role("button", name=re.compile(r"^确认并支付 ")).click()
        _pay_with_demo(page)
        ref = page.url.rsplit("/", 1)[1]
        old_id = page.locator("section.card .mono").first.inner_text()

        page.goto(manage)
        _choose(page, "#actual-calculation", "论坛实际")
        page.get_by_label("将参会者出行调查结果计入参会人员交通排放").uncheck()  # no answers
        page.get_by_role("button", name="记录实际碳足迹").click()
        assert page.get_by_text("实际碳足迹已取代预估值。").is_visible()
        surplus = page.locator("#surplus")
        assert surplus.get_by_text("实际排放低于已抵消量：可退还").is_visible()
        page.get_by_role("link", name="退还多余抵消量").click()
        page.wait_for_url(re.compile(r"/refund-surplus$"))
        amount = page.locator("#refund-amount").inner_text()
        serials = page.locator("#refund-serials").inner_text()
        assert amount.startswith("¥") and serials.startswith("TH-TA-CLS-2024-")
        _shot(page, "refund-confirm-1280-zh.png")
        page.get_by_role("button", name=f"退款 {amount}").click()
        page.wait_for_url(re.compile(r"/manage$"))
        assert page.get_by_text(f"已退款 {amount}").first.is_visible()
        assert page.locator("#surplus").count() == 0
        assert page.get_by_text("已全部抵消").is_visible()

        # The order shows the refund and the re-issued certificate.
        page.goto(live_server.url + f"/orders/{ref}")
        assert page.locator("#order-refunded").is_visible()
        new_id = page.locator("section.card .mono").first.inner_text()
        assert new_id != old_id
        page.get_by_role("link", name="公开验证页面").click()
        assert page.get_by_text("有效").first.is_visible()
        page.goto(live_server.url + f"/v/{old_id}")
        assert page.locator(".verdict-label").inner_text() == "已撤销"
        assert new_id in page.locator("#superseded").inner_text()
        page.locator("#superseded").get_by_role("link", name=new_id).click()
        page.wait_for_url(re.compile(rf"/v/{new_id}$"))
        page.goto(live_server.url + f"/events/{code}")
        assert page.get_by_role("heading", name="零碳会议").is_visible()
    finally:
        context.close()
