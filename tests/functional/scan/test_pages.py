"""The /scan app shell: ranger-only page without inline script, service worker, manifest."""

from __future__ import annotations

import html
import json
import re


def test_scan_page_for_rangers_without_inline_script(client, auth, ranger):
    assert client.get("/scan").status_code == 302  # anonymous: to the login page
    auth.login("ranger@example.cn")
    response = client.get("/scan")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), "inline script"
    assert not re.search(r"\son[a-z]+=", page), "inline event handler"
    assert not re.findall(r'(?:src|href|action)="(?:https?:)?//', page), "external resource"
    assert '<link rel="manifest" href="/scan/manifest.webmanifest">' in page
    # The scripts' texts come translated from the page, as one data attribute.
    strings = json.loads(html.unescape(re.search(r'data-strings="([^"]+)"', page)[1]))
    assert strings["valid"] == "有效" and strings["revoked"] == "已撤销"
    assert all(strings.values())
    assert "打开离线扫码核验" in client.get("/ranger").get_data(as_text=True)


def test_service_worker_covers_the_app_and_caches_its_files(client):
    response = client.get("/scan/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/scan"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    assets = json.loads(re.search(r"const ASSETS = (\[.*?\]);", body)[1])
    assert "/static/scan/app.js" in assets and "/static/scan/crypto.js" in assets
    assert "/scan/manifest.webmanifest" in assets
    for path in assets:  # every file the worker caches exists (install fails otherwise)
        with client.get(path) as asset:
            assert asset.status_code == 200, path
    version = re.search(r'const VERSION = "([0-9a-f]{16})"', body)
    assert version, "the cache name changes with the files"


def test_manifest_makes_the_app_installable(client):
    response = client.get("/scan/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert manifest["start_url"] == "/scan" and manifest["scope"] == "/scan"
    assert manifest["display"] == "standalone"
    assert {i["sizes"] for i in manifest["icons"]} == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        with client.get(icon["src"]) as image:
            assert image.mimetype == "image/png"
