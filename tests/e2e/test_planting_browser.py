"""Planting day on phones: a resident registers with a child; the ranger, offline, checks
the pass and records trees on two plots; back online the check-in syncs once; the duty
record and certificate show the trees and the certificate's QR code verifies."""

from __future__ import annotations

import threading

import pytest
from flask import request

from tests.support.browser import PHONE, new_page
from tests.support.pdftools import decoded
from tests.support.planting import browser_scene, too_late_for_a_scene_today
from tests.support.scan_browser import PASSWORD, login_ranger, until
from webapp import localtime
from webapp.extensions import db
from webapp.models import PlantedTrees, PlantingCheckIn, Plot, PlotStatus


@pytest.fixture
def checkin_uploads(live_server):
    """The check-in ids of every upload the server answers."""
    seen: list[str] = []
    lock = threading.Lock()

    @live_server.app.before_request
    def note():
        if request.path == "/scan/api/checkins" and request.method == "POST":
            ids = [c.get("id") for c in (request.get_json(silent=True) or {}).get("checkins", [])]
            with lock:
                seen.extend(ids)

    return seen


def _login(page, base, email, next_path):
    page.goto(f"{base}/account/login?next={next_path}")
    page.get_by_label("电子邮箱").fill(email)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}{next_path}")


def test_register_check_in_offline_sync_once_and_verify_the_duty_certificate(
    browser, live_server, checkin_uploads, tmp_path
):
    if too_late_for_a_scene_today():
        pytest.skip("after 23:56 local time a planting day today cannot start before it ends")
    base = live_server.url
    code = browser_scene(live_server.app, PASSWORD)["day"]

    # The resident registers herself and her child.
    resident_context, resident = new_page(browser, PHONE)
    _login(resident, base, "lin@example.cn", f"/planting-days/{code}")
    assert "剩余 20 个名额" in resident.inner_text("main")
    resident.get_by_label("儿童（可选）").fill("林苗苗")
    resident.get_by_role("button", name="报名").click()
    resident.wait_for_url(f"{base}/account/planting")
    assert "你已报名（2 个名额）" in resident.inner_text("body")
    pass_text = resident.inner_text(".pass-text")
    assert "/T/" in pass_text and f"/{code}/CLS-JN/2/" in pass_text

    # The ranger downloads the pack, loses signal, checks the pass and records the trees.
    context, page = new_page(browser, PHONE)
    try:
        login_ranger(page, base)
        until(page, "navigator.serviceWorker.controller !== null")
        page.get_by_role("button", name="下载数据包").click()
        page.wait_for_selector("text=撤销名单截至")
        page.wait_for_selector("#planting-mode:not([hidden])")
        context.set_offline(True)
        response = page.reload()
        assert response is not None and response.from_service_worker
        page.wait_for_selector("#scan-app[data-ready=true]")
        assert page.input_value("#day-select") == code
        page.fill("#pass-text", pass_text.replace(f"/{code}/CLS-JN/2/", f"/{code}/CLS-JN/3/"))
        page.click("#pass-check")
        page.wait_for_selector("#pass-result[data-verdict=invalid]")  # a tampered pass
        page.fill("#pass-text", pass_text)
        page.click("#pass-check")
        page.wait_for_selector("#pass-result[data-verdict=valid]")
        assert "2 人" in page.inner_text("#pass-result")
        page.fill("input[data-plot='B-01']", "3")
        page.fill("input[data-plot='B-02']", "2")
        page.click("#record-checkin")
        page.wait_for_selector("#checkin-log li[data-status=waiting]")
        page.fill("#pass-text", pass_text)
        page.click("#pass-check")
        page.wait_for_selector("#pass-result[data-verdict=valid]")
        page.click("#record-checkin")
        until(
            page,
            "document.getElementById('checkin-message').textContent.includes('已在本设备上签到')",
        )
        with live_server.app.app_context():
            assert db.session.query(PlantingCheckIn).count() == 0

        context.set_offline(False)  # back online: the check-in uploads by itself
        page.wait_for_selector("#checkin-log li[data-status=created]")
        page.click("#sync-now")
        page.wait_for_timeout(500)
        assert len(checkin_uploads) == 1
        with live_server.app.app_context():
            assert db.session.query(PlantingCheckIn).count() == 1
            assert sum(t.trees for t in db.session.query(PlantedTrees)) == 5
            statuses = {p.code: p.status for p in db.session.query(Plot)}
            assert statuses == {"B-01": PlotStatus.PLANTED, "B-02": PlotStatus.PLANTED}
            db.session.remove()
    finally:
        context.close()

    # The resident's duty record and certificate show the trees; its QR code verifies.
    try:
        year = localtime.today().year
        resident.goto(f"{base}/account/duty")
        assert f"{year} 年度共 5 株" in resident.inner_text("main")
        with resident.expect_download() as download:
            resident.get_by_role("link", name="下载义务植树尽责证明（PDF）").click()
        pdf = tmp_path / "duty.pdf"
        download.value.save_as(pdf)
        (qr,) = decoded(pdf.read_bytes())
        resident.goto(base + qr[len(base) :])
        body = resident.inner_text("main")
        assert "有效" in body and "5 株（亲手种植 5 株，折算 0 株）" in body
        assert "不是碳抵消" in body
    finally:
        resident_context.close()
