"""On a phone: register with a mobile number and the code from the development outbox,
land signed in; the number is shown masked everywhere."""

from __future__ import annotations

from tests.support.browser import PHONE, new_page
from tests.support.phone_accounts import register_by_phone


def test_register_by_phone_and_land_signed_in(browser, live_server):
    context, page = new_page(browser, PHONE)
    try:
        register_by_phone(page, live_server.url, "+86 138-0013-8000", display_name="林小树")
        assert page.get_by_role("heading", name="我的账户").is_visible()
        content = page.content()
        assert "138****8000" in content and "13800138000" not in content
        assert "林小树" in content
        # Signed in: the header names the account and the order pages open.
        assert page.get_by_role("link", name="林小树").first.is_visible()
    finally:
        context.close()
