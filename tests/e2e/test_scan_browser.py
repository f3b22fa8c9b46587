"""The rangers' offline scanner in Chromium: pack, offline reload, verdicts, visits, sync."""

from __future__ import annotations

import os
import re
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from flask import request
from playwright.sync_api import expect
from sqlalchemy import select

from tests.support.browser import DESKTOP, PHONE, new_page
from tests.support.plots import make_site
from webapp.extensions import db
from webapp.models import DedicationKind, Privacy, Role, ScanResult, ScanVisit
from webapp.services import accounts, keys
from webapp.services.certificates import issuing
from webapp.services.certificates.token import CertificateKind, qr_text
from webapp.services.plots import catalogue, rangers, reservations

PASSWORD = "forest-ranger-9"


def _plot(site, species, code, x):
    return catalogue.add_plot(
        db.session,
        site,
        code=code,
        species=species,
        price=Decimal("600.00"),
        polygon=[[x, 10], [x + 20, 10], [x + 20, 30], [x, 30]],
        area_mu=Decimal("1.50"),
        tree_count=100,
    )


def _scene(app) -> dict[str, str]:
    """A ranger of CLS-JN, two sponsored plots and three plot certificates (one revoked)."""
    with app.app_context():
        ranger = accounts.register(
            db.session,
            email="ranger@example.cn",
            password=PASSWORD,
            display_name="老王",
            role=Role.RANGER,
        )
        admin = accounts.register(
            db.session,
            email="boss@example.cn",
            password=PASSWORD,
            display_name="站长",
            role=Role.ADMIN,
        )
        mei = accounts.register(
            db.session, email="mei@example.cn", password=PASSWORD, display_name="李梅"
        )
        site = make_site()
        rangers.assign(db.session, ranger, site, actor=admin)
        species = catalogue.add_species(
            db.session,
            site,
            code="arborvitae",
            name_zh="侧柏",
            name_en="Chinese arborvitae",
            factor_id="forest.project.suichuan.per_mu",
        )
        plots = {code: _plot(site, species, code, x) for code, x in (("A-01", 10), ("A-02", 40))}
        for code, plot in plots.items():
            reservations.reserve(db.session, [plot], f"T-{code}", timedelta(minutes=30))
            reservations.sponsor(
                db.session,
                f"T-{code}",
                user=mei,
                sponsor_name="李梅",
                privacy=Privacy.FULL,
                dedication=DedicationKind.WEDDING,
                message="",
                locale="zh_CN",
            )
        key, _ = keys.signing(app.config)

        def issue(code):
            return issuing.issue(
                db.session,
                key=key,
                kind=CertificateKind.PLOT,
                holder_name="李梅",
                privacy=Privacy.INITIALS,
                locale="zh_CN",
                owner=mei,
                plot_code=code,
            )

        valid, revoked = issue("A-01"), issue("A-02")
        issuing.revoke(db.session, revoked, reason="退款", actor=admin)
        db.session.commit()
        base = app.config["BASE_URL"]
        good = qr_text(base, valid.public_id, valid.token)
        return {
            "valid": good,
            "tampered": good.replace("A-01.", "A-02."),
            "revoked": qr_text(base, revoked.public_id, revoked.token),
            "plaque": f"{base}/P/CLS-JN/A-01".upper(),
        }


@pytest.fixture
def requests_seen(live_server):
    """Every request the server answers, with the visit ids of each upload."""
    seen: list[tuple[str, str, list[str]]] = []
    lock = threading.Lock()

    @live_server.app.before_request
    def note():
        ids = []
        if request.path == "/scan/api/visits" and request.method == "POST":
            ids = [v.get("id") for v in (request.get_json(silent=True) or {}).get("visits", [])]
        with lock:
            seen.append((request.method, request.path, ids))

    return seen


def _until(page, expression: str, seconds: float = 15) -> None:
    """Poll ``expression`` (page.wait_for_function evaluates strings, which the CSP forbids)."""
    for _ in range(int(seconds * 10)):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for {expression}")


def _login(page, base):
    page.goto(base + "/account/login?next=/scan")
    page.get_by_label("电子邮箱").fill("ranger@example.cn")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/scan$"))
    page.wait_for_selector("#scan-app[data-ready=true]")


def _check(page, field, button, text, verdict):
    page.fill(field, text)
    page.click(button)
    box = "#certificate-result" if field == "#certificate-text" else "#plaque-result"
    page.wait_for_selector(f"{box}[data-verdict={verdict}]")
    return page.inner_text(box)


def test_scanner_verifies_offline_and_syncs_visits_once(browser, live_server, requests_seen):
    codes = _scene(live_server.app)
    base = live_server.url
    context, page = new_page(browser, PHONE)
    try:
        _login(page, base)
        # The service worker takes control of the page and caches the app.
        _until(page, "navigator.serviceWorker.controller !== null")
        page.get_by_role("button", name="下载数据包").click()
        page.wait_for_selector("text=撤销名单截至")
        assert "CLS-JN" in page.inner_text("#pack-state")

        context.set_offline(True)
        offline_from = len(requests_seen)
        response = page.reload()
        assert response is not None and response.from_service_worker
        page.wait_for_selector("#scan-app[data-ready=true]")
        assert page.evaluate("navigator.onLine") is False
        assert page.inner_text("#net-state") == "离线"
        assert "撤销名单截至" in page.inner_text("#pack-state")  # the pack, from IndexedDB

        text = _check(page, "#certificate-text", "#certificate-check", codes["valid"], "valid")
        assert "有效" in text and "A-01" in text and "侧柏" in text
        assert "李梅" not in text.split("持有人")[1].splitlines()[0]  # initials only
        text = _check(page, "#plaque-text", "#plaque-check", codes["plaque"], "match")
        assert "相符" in text
        page.get_by_role("button", name="记录到访").click()
        page.wait_for_selector("#visit-log li[data-status=waiting]")

        text = _check(page, "#certificate-text", "#certificate-check", codes["tampered"], "invalid")
        assert "无效" in text

        text = _check(page, "#certificate-text", "#certificate-check", codes["revoked"], "revoked")
        assert "已撤销" in text and "A-02" in text
        page.get_by_role("button", name="记录到访").click()
        expect(page.locator("#visit-log li[data-status=waiting]")).to_have_count(2)
        assert "2 条到访记录等待上传" in page.inner_text("#sync-state")
        # Nothing reached the server while offline: the page and checks were all local.
        assert requests_seen[offline_from:] == []

        context.set_offline(False)  # the network returns: the log uploads by itself
        expect(page.locator("#visit-log li[data-status=created]")).to_have_count(2)
        assert "所有到访记录均已上传" in page.inner_text("#sync-state")
        page.get_by_role("button", name="立即上传").click()  # nothing left to send
        page.reload()
        page.wait_for_selector("#scan-app[data-ready=true]")
        assert page.locator("#visit-log li[data-status=created]").count() == 2

        uploaded = [i for method, path, ids in requests_seen for i in ids]
        assert len(uploaded) == 2 and len(set(uploaded)) == 2  # each visit sent exactly once
        with live_server.app.app_context():
            visits = db.session.scalars(select(ScanVisit).order_by(ScanVisit.scanned_at)).all()
            assert sorted(v.client_id for v in visits) == sorted(uploaded)
            assert [v.result for v in visits] == [ScanResult.VALID, ScanResult.REVOKED]
            assert visits[0].matched is True and visits[0].plot.code == "A-01"
            assert visits[1].matched is None and visits[1].plot.code == "A-02"

        # The verified visit shows on the public plot page.
        page.goto(base + "/sites/CLS-JN/plots/A-01")
        assert "1 次到访" in page.inner_text("#main")
    finally:
        context.close()


def test_scanner_screenshots(browser, live_server, tmp_path):
    """390 px in Chinese and 1280 px in English, nothing wider than the screen."""
    codes = _scene(live_server.app)
    out = os.environ.get("SCAN_SCREENSHOT_DIR", str(tmp_path))
    for viewport, locale, name in (
        (PHONE, "zh-CN", "scan-390-zh"),
        (DESKTOP, "en", "scan-1280-en"),
    ):
        context, page = new_page(browser, viewport, locale=locale)
        try:
            if locale == "en":
                context.add_cookies([{"name": "lang", "value": "en", "url": live_server.url}])
            page.goto(live_server.url + "/account/login?next=/scan")
            page.fill("#email", "ranger@example.cn")
            page.fill("#password", PASSWORD)
            page.press("#password", "Enter")
            page.wait_for_selector("#scan-app[data-ready=true]")
            page.click("#pack-download")
            page.wait_for_selector("#pack-state strong")
            _check(page, "#certificate-text", "#certificate-check", codes["valid"], "valid")
            _check(page, "#plaque-text", "#plaque-check", codes["plaque"], "match")
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            assert not page.locator("#site-choice").is_visible()  # one site: no choice
            page.screenshot(path=f"{out}/{name}.png", full_page=True)
        finally:
            context.close()


def test_scanner_decodes_a_photo_and_warns_about_an_old_pack(browser, live_server, tmp_path):
    """The no-camera paths: a photo decoded by jsQR (built from npm), and the pack-age warning."""
    from webapp.services.certificates.qr import make_qr

    codes = _scene(live_server.app)
    live_server.app.config["SCAN_PACK_MAX_AGE_HOURS"] = 0  # any pack is too old
    context, page = new_page(browser, PHONE)
    try:
        # A photo of the certificate's QR code: the app's own SVG, rendered by Chromium.
        drawing = context.new_page()
        svg = make_qr(codes["valid"]).svg(60)
        drawing.set_content(f'<body style="margin:0;background:#fff;padding:20px">{svg}</body>')
        photo = tmp_path / "certificate.png"
        drawing.screenshot(path=str(photo))
        drawing.close()

        _login(page, live_server.url)
        page.click("#pack-download")
        page.wait_for_selector("#pack-state strong")
        warning = page.locator("#pack-warning")
        assert warning.is_visible() and "已超过 0 小时" in warning.inner_text()

        assert page.evaluate("'jsQR' in window") is False  # loaded only when needed
        page.locator("[data-target=certificate] input[type=file]").set_input_files(str(photo))
        page.wait_for_selector("#certificate-result[data-verdict=valid]")
        assert page.input_value("#certificate-text") == codes["valid"]
        if not page.evaluate("'BarcodeDetector' in window"):  # Linux Chromium has none
            assert page.evaluate("typeof window.jsQR") == "function"
    finally:
        context.close()
