"""Staff record a monitoring period with its PDF and a verification; a second administrator
approves it; a resident's projected certificate then shows its delivery."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from tests.support.browser import DESKTOP, PHONE, new_page
from tests.support.monitoring import pdf
from tests.support.registry import BENEFICIARY, HOLD, make_project
from webapp.extensions import db
from webapp.models import Delivery, IssuanceStatus, Privacy, Role
from webapp.services import accounts, keys
from webapp.services.certificates import issuing
from webapp.services.certificates.token import CertificateKind
from webapp.services.registry import allocation
from webapp.services.registry import issuance as issuance_service


def _seed(app) -> str:
    with app.app_context():
        admins = [
            accounts.register(
                db.session,
                email=email,
                password="correct-horse-9",
                display_name=email[0],
                role=Role.ADMIN,
            )
            for email in ("m@x.cn", "c@x.cn")
        ]
        project = make_project()
        draft = issuance_service.IssuanceDraft(
            vintage=2027,
            period_start=date(2027, 1, 1),
            period_end=date(2027, 12, 31),
            quantity_kg=10_000,
            price_per_tonne=Decimal("60.00"),
            delivery=Delivery.PROJECTED,
            expected_from=2027,
            expected_to=2031,
        )
        issuance = issuance_service.draft(db.session, project, draft, actor=admins[0])
        issuance_service.approve(db.session, issuance, actor=admins[1])
        issuance_service.set_status(db.session, issuance, IssuanceStatus.ON_SALE, actor=admins[1])
        held = allocation.reserve(db.session, project, 2_400, "resident-order", hold=HOLD)
        allocation.retire(db.session, held, BENEFICIARY)
        key, _ = keys.signing(app.config)
        certificate = issuing.issue(
            db.session,
            key=key,
            kind=CertificateKind.OFFSET,
            holder_name=BENEFICIARY.name,
            privacy=Privacy.FULL,
            locale="zh_CN",
            owner=None,
            quantity_kg=2_400,
            allocation_id=held.id,
        )
        db.session.commit()
        return certificate.public_id


def _login(page, base: str, email: str) -> None:
    page.goto(base + "/account/login")
    page.get_by_label("电子邮箱").fill(email)
    page.get_by_label("密码").fill("correct-horse-9")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"^(?!.*/account/login)"))


def test_a_verification_approved_by_a_second_admin_delivers_a_projected_certificate(
    browser, live_server, tmp_path
):
    public_id = _seed(live_server.app)
    base = live_server.url
    report = tmp_path / "监测报告.pdf"
    report.write_bytes(pdf("e2e report"))
    statement = tmp_path / "statement.pdf"
    statement.write_bytes(pdf("e2e statement"))

    context, page = new_page(browser, DESKTOP)
    try:
        _login(page, base, "m@x.cn")
        page.goto(base + "/admin/projects/TA-CLS/monitoring")
        page.locator('input[name="m-period_start"]').fill("2025-01-01")
        page.locator('input[name="m-period_end"]').fill("2025-12-31")
        page.get_by_label("监测方法").fill("样地实测")
        page.get_by_label("监测面积（公顷）").fill("40")
        page.get_by_label("监测报告（PDF）").set_input_files(str(report))
        page.get_by_role("button", name="录入监测期").click()
        assert page.get_by_text("监测期已录入。").is_visible()

        page.get_by_label("监测期", exact=True).select_option(label="2025-01-01 – 2025-12-31")
        page.get_by_label("核证机构").fill("中环联合认证中心")
        page.get_by_label("核证量（吨二氧化碳当量）").fill("5")
        page.get_by_label("剩余可售部分每吨价格（元）").fill("90")
        page.get_by_label("核证声明（PDF）").set_input_files(str(statement))
        page.get_by_role("button", name="录入核证").click()
        assert page.get_by_text("核证已录入，须由另一位管理员批准。").is_visible()
        # The recorder is offered no approval.
        assert page.get_by_role("button", name="批准核证").count() == 0
    finally:
        context.close()

    context, page = new_page(browser, DESKTOP)
    try:
        _login(page, base, "c@x.cn")
        page.goto(base + "/admin/projects/TA-CLS/monitoring")
        page.get_by_role("button", name="批准核证").click()
        assert page.get_by_text("核证已批准：已结清 1 笔预估量注销。").is_visible()
    finally:
        context.close()

    context, page = new_page(browser, PHONE)
    try:
        page.goto(f"{base}/v/{public_id}")
        delivery = page.locator("#delivery")
        assert "预估量，已于" in delivery.inner_text() and "交付" in delivery.inner_text()
        assert "TH-TA-CLS-2025-" in delivery.inner_text()
        page.goto(base + "/projects/TA-CLS")
        assert page.get_by_role("link", name="监测报告").count() == 1
        assert page.get_by_role("link", name="核证声明").count() == 1
    finally:
        context.close()
