"""WeChat Pay and Alipay in a real browser against the live server and the local provider
servers (``tests/support/wechatpay_fake``, ``alipay_fake``), whose notifications reach the
live server over HTTP, signed (and for WeChat Pay encrypted) as the real ones are.

* On a phone: offset → WeChat Pay H5 (the phone's browser is sent to the H5 cashier) →
  paid → certificate issued; the same with Alipay WAP pay.
* On a computer: WeChat Pay Native shows a QR code (it decodes to the ``weixin://`` link);
  the order completes by itself when WeChat Pay's notification arrives.

On the phone the resident registers with a mobile number and the code from the development
SMS outbox first (``tests/support/phone_accounts.register_by_phone``), as people in China
sign in; the desktop buyer uses an e-mail account.
"""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import zxingcpp
from PIL import Image
from sqlalchemy import select

from tests.support.browser import DESKTOP, PHONE
from tests.support.phone_accounts import register_by_phone
from tests.support.registry import make_project
from webapp.extensions import db
from webapp.models import Certificate, CertificateStatus, Delivery, IssuanceStatus, Order, Role
from webapp.services import accounts
from webapp.services.registry import issuance as issuance_service

PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)


def _seed(app) -> None:
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


def _configure(live_server, wechatpay_fake, alipay_fake) -> None:
    live_server.app.config.update(wechatpay_fake.app_config())
    live_server.app.config.update(alipay_fake.app_config())
    _seed(live_server.app)


def _page(browser, phone: bool):
    if phone:
        context = browser.new_context(
            viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True, user_agent=PHONE_UA
        )
    else:
        context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


def _order_with(page, live_server, method_label: str, phone_number: str | None = None) -> str:
    """Sign in (or register with ``phone_number``), offset 2.4 t paying with
    ``method_label``; the new order's ref."""
    if phone_number is not None:
        register_by_phone(page, live_server.url, phone_number, display_name="李小梅")
        page.goto(live_server.url + "/offset?tonnes=2.4")
    else:
        page.goto(live_server.url + "/offset?tonnes=2.4")
        page.wait_for_url(re.compile(r"/account/login"))
        page.get_by_label("电子邮箱").fill("mei@example.cn")
        page.get_by_label("密码").fill("bamboo-grove-7")
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r"/offset\?tonnes=2.4"))
    page.get_by_label("证书上的名称").fill("李小梅一家")
    page.get_by_role("radio", name=method_label).check()
    page.get_by_role("button", name="查看价格").click()
    page.get_by_role("button", name="确认并支付 ¥192.00").click()
    page.wait_for_url(re.compile(r"/orders/TH[0-9A-Z]{8}$"))
    return page.url.rsplit("/", 1)[1]


def _issued(app, ref: str) -> Certificate:
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.ref == ref))
        certificate = db.session.scalars(
            select(Certificate).where(Certificate.order_id == order.id)
        ).one()
        db.session.remove()
        return certificate


def _buyer_phone(app, ref: str) -> str | None:
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.ref == ref))
        phone = order.user.phone
        db.session.remove()
        return phone


def test_phone_pays_with_wechat_pay_h5(browser, live_server, wechatpay_fake, alipay_fake):
    _configure(live_server, wechatpay_fake, alipay_fake)
    context, page = _page(browser, phone=True)
    try:
        ref = _order_with(page, live_server, "微信支付", phone_number="138 0013 8000")
        assert wechatpay_fake.trade(ref).trade_type == "MWEB"
        page.get_by_role("link", name="立即支付").click()
        page.wait_for_url(re.compile(r"/h5pay/checkmweb"))
        page.locator("#wechat-h5-pay").click()
        page.wait_for_url(re.compile(rf"/orders/{ref}$"))
        assert page.get_by_role("heading", name="已支付并注销").is_visible()
        assert wechatpay_fake.sent and wechatpay_fake.sent[-1][1] == 204
        assert _issued(live_server.app, ref).status is CertificateStatus.VALID
        assert _buyer_phone(live_server.app, ref) == "+8613800138000"
    finally:
        context.close()


def test_phone_pays_with_alipay_wap(browser, live_server, wechatpay_fake, alipay_fake):
    _configure(live_server, wechatpay_fake, alipay_fake)
    context, page = _page(browser, phone=True)
    try:
        ref = _order_with(page, live_server, "支付宝", phone_number="139 0013 9000")
        page.get_by_role("link", name="立即支付").click()
        page.wait_for_url(re.compile(r"/gateway\.do\?"))
        assert page.locator("#alipay-method").inner_text() == "alipay.trade.wap.pay"
        page.locator("#alipay-pay").click()
        page.wait_for_url(re.compile(rf"/orders/{ref}$"))
        assert page.get_by_role("heading", name="已支付并注销").is_visible()
        assert alipay_fake.sent and alipay_fake.sent[-1][1] == "success"
        assert _issued(live_server.app, ref).status is CertificateStatus.VALID
        assert _buyer_phone(live_server.app, ref) == "+8613900139000"
    finally:
        context.close()


def test_desktop_wechat_pay_native_qr_completes_on_the_notification(
    browser, live_server, wechatpay_fake, alipay_fake
):
    _configure(live_server, wechatpay_fake, alipay_fake)
    context, page = _page(browser, phone=False)
    try:
        ref = _order_with(page, live_server, "微信支付")
        trade = wechatpay_fake.trade(ref)
        assert trade.trade_type == "NATIVE"
        qr = page.locator(".wechat-qr svg")
        assert qr.is_visible()
        image = Image.open(io.BytesIO(qr.screenshot())).convert("L")
        decoded = [b.text for b in zxingcpp.read_barcodes(image)]
        assert decoded == [f"weixin://wxpay/bizpayurl?pr={trade.prepay_id}"]

        # The buyer scans and pays in WeChat; WeChat Pay notifies the server.
        wechatpay_fake.pay(ref)
        status = wechatpay_fake.send(*wechatpay_fake.payment_notification(ref), trade.notify_url)
        assert status == 204
        # The page notices by itself (it polls the order's status) and shows the result.
        page.get_by_role("heading", name="已支付并注销").wait_for()
        assert _issued(live_server.app, ref).status is CertificateStatus.VALID
    finally:
        context.close()
