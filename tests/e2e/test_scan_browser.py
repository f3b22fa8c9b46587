"""The rangers' offline scanner in Chromium: pack, offline reload, verdicts, visits, sync."""

from __future__ import annotations

import os
import threading

import pytest
from flask import request
from playwright.sync_api import expect
from sqlalchemy import select

from tests.support.browser import DESKTOP, PHONE, new_page
from tests.support.scan_browser import PASSWORD, login_ranger, scan_scene, until
from webapp.extensions import db
from webapp.models import ScanResult, ScanVisit


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


def _check(page, field, button, text, verdict):
    page.fill(field, text)
    page.click(button)
    box = "#certificate-result" if field == "#certificate-text" else "#plaque-result"
    page.wait_for_selector(f"{box}[data-verdict={verdict}]")
    return page.inner_text(box)


def test_scanner_verifies_offline_and_syncs_visits_once(browser, live_server, requests_seen):
    codes = scan_scene(live_server.app)
    base = live_server.url
    context, page = new_page(browser, PHONE)
    try:
        login_ranger(page, base)
        # The service worker takes control of the page and caches the app.
        until(page, "navigator.serviceWorker.controller !== null")
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
    codes = scan_scene(live_server.app)
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

    codes = scan_scene(live_server.app)
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

        login_ranger(page, live_server.url)
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
