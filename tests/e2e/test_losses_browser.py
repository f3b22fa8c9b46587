"""A ranger on a phone reports a forest fire with a photo; a second staff member confirms
it; the loss register and a certificate resting on the project show it (issue 18)."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

from PIL import Image

from tests.support.browser import DESKTOP, PHONE, new_page
from tests.support.registry import HOLD, make_project
from webapp.extensions import db
from webapp.models import Delivery, IssuanceStatus, Privacy, Purpose, RiskRating, Role
from webapp.services import accounts, keys
from webapp.services.certificates import issuing
from webapp.services.certificates.token import CertificateKind
from webapp.services.registry import allocation
from webapp.services.registry import issuance as issuance_service

PASSWORD = "forest-fire-7"


def _seed(app) -> str:
    with app.app_context():
        users = {}
        for email, role in (
            ("maker@example.cn", Role.ADMIN),
            ("checker@example.cn", Role.ADMIN),
            ("ranger@example.cn", Role.RANGER),
        ):
            users[email] = accounts.register(
                db.session, email=email, password=PASSWORD, display_name=email[:5], role=role
            )
        project = make_project("TA-FIRE", risk_rating=RiskRating.MEDIUM)
        draft = issuance_service.IssuanceDraft(
            vintage=2025,
            period_start=date(2025, 1, 1),
            period_end=date(2025, 12, 31),
            quantity_kg=10_000,
            price_per_tonne=Decimal("80"),
            delivery=Delivery.VERIFIED,
        )
        item = issuance_service.draft(db.session, project, draft, actor=users["maker@example.cn"])
        checker = users["checker@example.cn"]
        issuance_service.approve(db.session, item, actor=checker)
        issuance_service.set_status(db.session, item, IssuanceStatus.ON_SALE, actor=checker)
        held = allocation.reserve(db.session, project, 1_000, "order-1", hold=HOLD)
        allocation.retire(
            db.session,
            held,
            allocation.Beneficiary(name="王小林", privacy=Privacy.FULL, purpose=Purpose.GIFT),
        )
        key, _ = keys.signing(app.config)
        cert = issuing.issue(
            db.session,
            key=key,
            kind=CertificateKind.OFFSET,
            holder_name="王小林",
            privacy=Privacy.FULL,
            locale="zh_CN",
            owner=None,
            quantity_kg=1_000,
            allocation_id=held.id,
        )
        db.session.commit()
        return cert.public_id


def _login(page, base: str, email: str, then: str) -> None:
    page.goto(f"{base}/account/login?next={then}")
    page.get_by_label("电子邮箱").fill(email)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(re.escape(then) + "$"))


def test_ranger_reports_a_fire_staff_confirm_and_the_public_sees_it(browser, live_server, tmp_path):
    public_id = _seed(live_server.app)
    base = live_server.url
    photo = tmp_path / "fire.jpg"
    buf = io.BytesIO()
    Image.new("RGB", (120, 80), (180, 60, 20)).save(buf, "JPEG")
    photo.write_bytes(buf.getvalue())

    context, page = new_page(browser, PHONE)
    try:
        _login(page, base, "ranger@example.cn", "/ranger/losses/new")
        page.get_by_label("项目").select_option("TA-FIRE")
        page.get_by_role("radio", name="森林火灾").check()
        page.get_by_label("发生日期").fill("2026-03-01")
        page.get_by_label("受损面积（公顷）").fill("2.5")
        page.get_by_label("估算损失（吨 CO₂e）").fill("1.5")
        page.get_by_label("备注").fill("山火，已扑灭")
        page.get_by_label("照片").set_input_files(str(photo))
        page.get_by_role("button", name="提交报告").click()
        page.wait_for_url(re.compile(r"/ranger/losses/new$"))
        assert page.get_by_text("碳流失 L-00001 已报告").is_visible()
    finally:
        context.close()

    context, page = new_page(browser, DESKTOP)
    try:
        _login(page, base, "checker@example.cn", "/admin/losses")
        page.get_by_role("button", name="确认碳流失并注销碳汇").click()
        page.wait_for_url(re.compile(r"/admin/losses$"))
        assert page.get_by_text("碳流失 L-00001 已更新").is_visible()

        page.goto(base + "/registry/losses")
        row = page.locator("#L-00001")
        assert "森林火灾" in row.inner_text() and "1.500" in row.inner_text()
        assert page.locator('img[alt="碳流失照片"]').count() == 1

        page.goto(f"{base}/v/{public_id}")
        section = page.locator("#project-losses")
        assert section.is_visible()
        assert "由缓冲池抵补 1.500 吨" in section.inner_text()
    finally:
        context.close()
