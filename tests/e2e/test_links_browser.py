"""Every link and code works where it is read, on a port other than 5000.

The app here is served on a free port with BASE_URL unset: its configuration derives the
base URL from PORT as `PORT=… make run` does. A certificate PDF downloaded in Chromium
carries a QR code that opens its verify page on that port; the rangers' scanner, offline,
accepts the number printed under the QR code and the plaque's code as typed.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from tests.support.app import build_app, empty_all_tables
from tests.support.browser import DESKTOP, PHONE, new_page
from tests.support.pdftools import decode_qr, pdftotext, rasterise
from tests.support.scan_browser import PASSWORD, login_ranger, scan_scene, until
from webapp.extensions import db, limiter
from webapp.models import Plot, Privacy, ScanResult, ScanVisit, User
from webapp.services import keys
from webapp.services.certificates import issuing
from webapp.services.certificates.token import CertificateKind, parse_qr_text, qr_text


class PortServer:
    """A server whose app is made after its port is known, so the app's own configuration
    (not the test) decides the base URL from PORT."""

    def __init__(self) -> None:
        self.app = None
        self._server = make_server("127.0.0.1", 0, self._dispatch, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _dispatch(self, environ, start_response):
        return self.app(environ, start_response)

    def start(self, app) -> None:
        self.app = app
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()


@pytest.fixture
def served(_schema: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PortServer]:
    server = PortServer()
    assert server.port != 5000
    for name in ("BASE_URL", "HOST", "FLASK_RUN_HOST", "FLASK_RUN_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PORT", str(server.port))
    app = build_app(_schema, tmp_path)
    limiter.reset()
    assert app.config["BASE_URL"] == f"http://127.0.0.1:{server.port}"
    server.start(app)
    yield server
    server.stop()
    with app.app_context():
        db.session.remove()
        empty_all_tables()
        db.engine.dispose()


def _offset_certificate(app) -> str:
    """An offset certificate of 李梅's: not a plot certificate, so not in any site pack."""
    with app.app_context():
        mei = db.session.scalar(select(User).where(User.email == "mei@example.cn"))
        certificate = issuing.issue(
            db.session,
            key=keys.signing(app.config)[0],
            kind=CertificateKind.OFFSET,
            holder_name="李梅",
            privacy=Privacy.INITIALS,
            locale="zh_CN",
            owner=mei,
            quantity_kg=2417,
        )
        db.session.commit()
        return qr_text(app.config["BASE_URL"], certificate.public_id, certificate.token)


def _plot_certificate(app) -> str:
    """李梅's certificate of plot A-01 as the plot checkout issues it (naming the plot)."""
    with app.app_context():
        mei = db.session.scalar(select(User).where(User.email == "mei@example.cn"))
        plot = db.session.scalar(select(Plot).where(Plot.code == "A-01"))
        certificate = issuing.issue(
            db.session,
            key=keys.signing(app.config)[0],
            kind=CertificateKind.PLOT,
            holder_name="李梅",
            privacy=Privacy.INITIALS,
            locale="zh_CN",
            owner=mei,
            plot_code=plot.code,
            plot_id=plot.id,
        )
        db.session.commit()
        return certificate.public_id


def _shown(public_id: str) -> str:
    return f"{public_id[:5]}-{public_id[5:]}"


def test_the_pdfs_qr_code_opens_its_verify_page_on_this_port(browser, served, tmp_path):
    scan_scene(served.app)
    public_id = _plot_certificate(served.app)
    base = f"http://127.0.0.1:{served.port}"
    context, page = new_page(browser, DESKTOP)
    try:
        page.goto(base + "/account/login?next=/account/certificates")
        page.fill("#email", "mei@example.cn")
        page.fill("#password", PASSWORD)
        page.press("#password", "Enter")
        page.wait_for_url(re.compile(r"/account/certificates$"))
        link = page.locator(f'a[href="/certificates/{public_id}.pdf"]')
        with page.expect_download() as download:
            link.click()
        pdf = Path(download.value.path()).read_bytes()
    finally:
        context.close()
    assert pdf.startswith(b"%PDF-")
    (scanned,) = decode_qr(rasterise(pdf, 150))
    assert scanned.startswith(f"HTTP://127.0.0.1:{served.port}/V/{public_id}/")
    text = pdftotext(pdf)
    assert f"{base}/v/{public_id}" in text  # the printed URL
    assert _shown(public_id) in re.sub(r"(?<=\S) (?=\S)", "", text)  # the number, under the QR

    # A phone's camera app opens the QR text as it is: the public verify page answers.
    context, page = new_page(browser, PHONE)
    try:
        response = page.goto(scanned)
        assert response is not None and response.ok
        assert page.url.startswith(base)
        main = page.inner_text("main")
        assert "签名有效" in main and "有效" in main and _shown(public_id) in main
    finally:
        context.close()


def _check(page, field: str, text: str, verdict: str) -> str:
    box = "#certificate-result" if field == "certificate" else "#plaque-result"
    # Forget the previous verdict first: the same verdict twice must be two answers.
    page.evaluate(f"document.querySelector('{box}').removeAttribute('data-verdict')")
    page.fill(f"#{field}-text", text)
    page.click(f"#{field}-check")
    page.wait_for_selector(f"{box}[data-verdict={verdict}]")
    return page.inner_text(box)


def _source(page) -> str:
    return page.get_attribute("#certificate-result .scan-source", "data-source") or ""


def test_the_scanner_accepts_what_is_printed_offline(browser, served):
    codes = scan_scene(served.app)
    offset = _offset_certificate(served.app)
    valid, _ = parse_qr_text(codes["valid"])
    revoked, _ = parse_qr_text(codes["revoked"])
    offset_id, _ = parse_qr_text(offset)
    base = f"http://127.0.0.1:{served.port}"
    context, page = new_page(browser, PHONE)
    try:
        login_ranger(page, base)
        until(page, "navigator.serviceWorker.controller !== null")
        page.get_by_role("button", name="下载数据包").click()
        page.wait_for_selector("text=撤销名单截至")

        # Online: an offset certificate is in no site pack; the registry answers, and says so.
        text = _check(page, "certificate", _shown(offset_id).lower(), "valid")
        assert _source(page) == "online" and "已在线向登记簿核对" in text
        assert "2,417" in text
        text = _check(page, "certificate", offset, "valid")  # its QR text: the same
        assert _source(page) == "online"

        context.set_offline(True)
        page.reload()
        page.wait_for_selector("#scan-app[data-ready=true]")
        assert page.evaluate("navigator.onLine") is False

        # The number under the QR code, as a ranger may type it.
        for typed in (
            _shown(valid),
            valid,
            _shown(valid).lower(),
            valid.lower(),
            f" {valid[:5]} {valid[5:]} ",
        ):
            text = _check(page, "certificate", typed, "valid")
            assert "有效" in text and "篡改" not in text, typed
            assert _shown(valid) in text and "A-01" in text and "侧柏" in text
            assert _source(page) == "pack" and "已对照" in text and "数据包核对" in text
        text = _check(page, "certificate", _shown(revoked).lower(), "revoked")
        assert "已撤销" in text and "A-02" in text and _source(page) == "pack"

        # The plaque's code as printed, with or without its site.
        _check(page, "certificate", _shown(valid), "valid")
        for typed in ("A-01", "a-01", "CLS-JN/A-01", "CLS-JN A-01", "cls-jn / a-01"):
            assert "相符" in _check(page, "plaque", typed, "match"), typed
        assert "不相符" in _check(page, "plaque", "A-02", "no-match")
        assert "A-02" in page.inner_text("#plaque-result")

        # Offline, a certificate not in the pack is said to be so, never "tampered".
        text = _check(page, "certificate", _shown(offset_id), "unknown")
        assert "不在数据包中" in text and "信号" in text and "篡改" not in text
        assert _source(page) == "none"
        # Something that is no code at all is said to be that.
        text = _check(page, "certificate", "hello", "none")
        assert "证书编号" in text and "篡改" not in text

        # A visit logged from a typed number and a typed plaque uploads and is re-checked.
        _check(page, "certificate", _shown(valid).lower(), "valid")
        _check(page, "plaque", "A-01", "match")
        page.get_by_role("button", name="记录到访").click()
        page.wait_for_selector("#visit-log li[data-status=waiting]")
        context.set_offline(False)
        expect(page.locator("#visit-log li[data-status=created]")).to_have_count(1)
    finally:
        context.close()
    with served.app.app_context():
        (visit,) = db.session.scalars(select(ScanVisit)).all()
        assert visit.result is ScanResult.VALID and visit.matched is True
        assert visit.certificate_public_id == valid and visit.plot.code == "A-01"
