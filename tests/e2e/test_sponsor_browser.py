"""A resident on a phone picks a plot on the site map, sponsors it with the demo provider,
downloads the plot certificate and finds the plot page updated."""

from __future__ import annotations

import re
import subprocess
from decimal import Decimal

from tests.support.browser import PHONE, new_page
from tests.support.plots import make_site
from webapp.extensions import db
from webapp.models import Role
from webapp.services import accounts
from webapp.services.plots import catalogue

WAITING = "这块地块正在等待认养人。"
SPONSORED_BY = "认养人：李小梅一家"


def _seed(app) -> None:
    with app.app_context():
        accounts.register(
            db.session,
            email="mei@example.cn",
            password="bamboo-grove-7",
            display_name="李小梅",
            role=Role.RESIDENT,
        )
        site = make_site()
        species = catalogue.add_species(
            db.session,
            site,
            code="arborvitae",
            name_zh="侧柏",
            name_en="Chinese arborvitae",
            factor_id="forest.project.suichuan.per_mu",
            planting_seasons_zh="春季",
            planting_seasons_en="Spring",
        )
        for n, x in enumerate((10, 40, 70), start=1):
            catalogue.add_plot(
                db.session,
                site,
                code=f"A-{n:02d}",
                species=species,
                price=Decimal("600.00"),
                polygon=[[x, 10], [x + 25, 10], [x + 25, 35], [x, 35]],
                area_mu=Decimal("1.50"),
                tree_count=100,
            )
        db.session.commit()


def test_pick_a_plot_on_the_map_sponsor_it_and_get_the_certificate(browser, live_server, tmp_path):
    _seed(live_server.app)
    context, page = new_page(browser, PHONE)
    try:
        page.goto(live_server.url + "/sites/CLS-JN")
        # The map: every plot is a link named by its code, status and species.
        page.locator('svg.site-map a[aria-label^="A-02 号地块"]').click()
        page.wait_for_url(re.compile(r"/sites/CLS-JN/plots/A-02$"))
        assert page.get_by_text(WAITING).is_visible()
        page.get_by_role("link", name="认养这块地块").click()

        page.wait_for_url(re.compile(r"/account/login"))
        page.get_by_label("电子邮箱").fill("mei@example.cn")
        page.get_by_label("密码").fill("bamboo-grove-7")
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r"/sites/CLS-JN/sponsor\?plots=A-02"))

        assert page.get_by_role("checkbox", name=re.compile("A-02")).is_checked()
        assert not page.get_by_role("checkbox", name=re.compile("A-01")).is_checked()
        assert page.get_by_text("并非对您碳排放的抵消").is_visible()
        page.get_by_label("证书上的名称").fill("李小梅一家")
        page.get_by_role("radio", name="显示全名").check()
        page.get_by_label("寄语类别").select_option("birth")
        page.get_by_label("寄语（选填）").fill("欢迎你，小禾")
        page.get_by_role("button", name="查看价格").click()
        assert page.locator(".total-figure").inner_text() == "¥600.00"
        page.get_by_role("button", name="确认并支付 ¥600.00").click()

        page.wait_for_url(re.compile(r"/orders/TH[0-9A-Z]{8}$"))
        ref = page.url.rsplit("/", 1)[1]
        assert page.get_by_text("您的地块保留至").is_visible()
        page.get_by_role("link", name="立即支付").click()
        page.wait_for_url(re.compile(r"/pay/demo/cs_demo_"))
        assert page.get_by_text("演示 / DEMO").is_visible()
        page.get_by_role("button", name="支付 ¥600.00（演示）").click()

        page.wait_for_url(re.compile(rf"/orders/{ref}$"))
        assert page.get_by_role("heading", name="已支付：地块认养成功").is_visible()
        with page.expect_download() as info:
            page.get_by_role("link", name="下载证书（PDF）").click()
        pdf = tmp_path / "certificate.pdf"
        info.value.save_as(pdf)
        assert pdf.read_bytes().startswith(b"%PDF")
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "A-02" in text and "李小梅一家" in text
        assert "并非对碳排放的抵消" in text.replace("\n", "").replace(" ", "")

        page.get_by_role("link", name="地块页面").click()
        page.wait_for_url(re.compile(r"/sites/CLS-JN/plots/A-02$"))
        assert page.get_by_text(SPONSORED_BY).first.is_visible()
        assert page.get_by_text("欢迎你，小禾").first.is_visible()
        assert page.get_by_role("link", name="认养这块地块").count() == 0

        # The map now shows the plot as sponsored.
        page.goto(live_server.url + "/sites/CLS-JN")
        assert page.locator('svg.site-map a[aria-label^="A-02 号地块, 已认养"]').count() == 1
    finally:
        context.close()
