"""Screenshot a page with headless Chromium.

Usage: python scripts/screenshot.py URL OUT [WIDTH] [LANG]
"""

from __future__ import annotations

import sys

from playwright.sync_api import sync_playwright


def main(url: str, out: str, width: int = 390, lang: str = "zh_CN") -> None:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=["--no-sandbox", "--disable-gpu"],
        )
        context = browser.new_context(
            viewport={"width": width, "height": 900}, device_scale_factor=1
        )
        host = url.split("/")[2].split(":")[0]
        context.add_cookies([{"name": "lang", "value": lang, "domain": host, "path": "/"}])
        page = context.new_page()
        page.goto(url)
        page.screenshot(path=out, full_page=True)
        browser.close()


if __name__ == "__main__":
    main(
        sys.argv[1],
        sys.argv[2],
        int(sys.argv[3]) if len(sys.argv) > 3 else 390,
        sys.argv[4] if len(sys.argv) > 4 else "zh_CN",
    )
