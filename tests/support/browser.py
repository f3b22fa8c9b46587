"""Browser pages for the e2e tests (the browser and the live server are fixtures in
``tests/e2e/conftest.py``)."""

from __future__ import annotations

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def new_page(browser, viewport=PHONE, locale: str = "zh-CN"):
    context = browser.new_context(
        viewport=viewport, locale=locale, is_mobile=viewport["width"] < 600
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page
