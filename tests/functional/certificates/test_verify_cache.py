"""The verify page cache (webapp/blueprints/verify/cache.py): anonymous visitors share a
rendered page, each with their own CSRF token; signed-in users never do; a revocation
drops the revoking server's copies."""

from __future__ import annotations

import re

from tests.support.app import PASSWORD, AuthActions, IsolatedClient
from tests.support.certificates import revoke

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _visitor(app):
    return IsolatedClient(app, app.response_class, use_cookies=True)


def test_anonymous_visitors_share_the_page_not_the_token(app, issue_certificate):
    app.config["VERIFY_PAGE_CACHE_SECONDS"] = 30
    certificate = issue_certificate(name="甲单位")
    first, second = _visitor(app), _visitor(app)
    a = first.get(f"/v/{certificate.public_id}").get_data(as_text=True)
    b = second.get(f"/v/{certificate.public_id}").get_data(as_text=True)
    assert TOKEN.search(a).group(1) != TOKEN.search(b).group(1)
    assert TOKEN.sub("", a) == TOKEN.sub("", b)
    assert "\x00" not in b
    # The served token is the visitor's own: the language form accepts it.
    token = TOKEN.search(b).group(1)
    switched = second.post("/lang", data={"csrf_token": token, "lang": "en"})
    assert switched.status_code in (302, 303)
    cache = app.extensions["tanhui_verify_pages"]
    assert len(cache) == 1


def test_revocation_drops_cached_pages(app, client, make_user, issue_certificate):
    app.config["VERIFY_PAGE_CACHE_SECONDS"] = 30
    certificate = issue_certificate()
    visitor = _visitor(app)
    assert visitor.get(f"/v/{certificate.public_id}").status_code == 200
    make_user("admin", email="registrar@example.cn")
    AuthActions(client).login(email="registrar@example.cn", password=PASSWORD)
    # A signed-in user is never served from (nor stored into) the cache.
    assert client.get(f"/v/{certificate.public_id}").status_code == 200
    assert revoke(client, certificate.public_id, "issued in error").status_code == 302
    page = visitor.get(f"/v/{certificate.public_id}").get_data(as_text=True)
    assert "issued in error" in page


def test_cache_off_when_configured_zero(app, issue_certificate):
    app.config["VERIFY_PAGE_CACHE_SECONDS"] = 0
    certificate = issue_certificate()
    assert _visitor(app).get(f"/v/{certificate.public_id}").status_code == 200
    assert "tanhui_verify_pages" not in app.extensions
