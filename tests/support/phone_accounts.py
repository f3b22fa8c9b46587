"""Mobile-number accounts as a person uses them: ask for a code, read it from the
development SMS outbox, enter it (plain helpers; the browser one is reused by other tests,
e.g. a phone registration that continues into paying)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from tests.support.app import csrf_token

_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def sms_outbox(app: Flask) -> Path:
    return Path(app.config["MAIL_OUTBOX"]) / "sms"


def sent_messages(app: Flask) -> list[dict]:
    """Every text message in the outbox, oldest first."""
    folder = sms_outbox(app)
    if not folder.is_dir():
        return []
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]


def last_code(app: Flask) -> str:
    messages = sent_messages(app)
    assert messages, "no text message in the outbox"
    match = _CODE.search(messages[-1]["text"])
    assert match, messages[-1]["text"]
    return match.group(1)


class PhoneActions:
    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def send(self, number: str, path: str = "/account/phone", **extra: str):
        token = csrf_token(self._client, path)
        return self._client.post(path, data={"csrf_token": token, "phone": number, **extra})

    def verify(self, code: str, path: str = "/account/phone/verify", **extra: str):
        token = csrf_token(self._client, path)
        return self._client.post(path, data={"csrf_token": token, "code": code, **extra})

    def sign_in(self, app: Flask, number: str, **extra: str):
        response = self.send(number)
        assert response.status_code == 302, response.get_data(as_text=True)
        return self.verify(last_code(app), **extra)


def register_by_phone(page, base_url: str, number: str, display_name: str = "") -> None:
    """In the browser: sign in (registering) with ``number`` and the code read from the
    development outbox page (``/dev/outbox``, loopback only). Ends on the account page."""
    page.goto(f"{base_url}/account/login")
    page.locator('a[href^="/account/phone"]').first.click()
    page.fill("#phone", number)
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url(f"{base_url}/account/phone/verify")
    outbox = page.context.new_page()
    outbox.goto(f"{base_url}/dev/outbox")
    text = outbox.locator(".sms-text").first.inner_text()
    outbox.close()
    match = _CODE.search(text)
    assert match, text
    page.fill("#code", match.group(1))
    if display_name:
        page.fill("#display_name", display_name)
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url(f"{base_url}/account")
