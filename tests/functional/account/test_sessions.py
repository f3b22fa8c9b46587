"""Sessions end: a copied session cookie or remember-me cookie opens nothing after a logout,
a password change on another device, a reset, or "log out everywhere"."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.support.app import AuthActions, csrf_token
from webapp.extensions import db
from webapp.models import AuditRecord


def _device(app):
    client = app.test_client()
    return client, AuthActions(client)


def _copy(client: FlaskClient, *names: str) -> FlaskClient:
    """Another browser holding copies of ``client``'s cookies (a stolen cookie)."""
    thief = client.application.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, name
        thief.set_cookie(name, cookie.value)
    return thief


def _opens_account(client: FlaskClient) -> bool:
    response = client.get("/account")
    return response.status_code == 200 and "/account/login" not in response.headers.get(
        "Location", ""
    )


def test_copied_session_and_remember_cookies_die_with_the_logout(app, client, auth, make_user):
    make_user(email="lin@example.cn")
    auth.login(remember="y")
    session_copy = _copy(client, "session")
    remember_copy = _copy(client, "remember_token")
    assert _opens_account(session_copy) and _opens_account(remember_copy)
    auth.logout()
    assert not _opens_account(session_copy)
    assert not _opens_account(remember_copy)
    assert not _opens_account(client)
    # Logging in again works as before.
    assert auth.login().status_code == 302 and _opens_account(client)


def test_password_change_ends_the_other_device_but_not_this_one(app, client, auth, make_user):
    make_user(email="lin@example.cn")
    auth.login(remember="y")
    other, other_auth = _device(app)
    other_auth.login(remember="y")
    other_remember = _copy(other, "remember_token")
    assert _opens_account(other) and _opens_account(other_remember)

    token = csrf_token(client, "/account/password")
    changed = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current": "correct-horse-9",
            "password": "new-password-1",
            "confirm": "new-password-1",
        },
    )
    assert changed.status_code == 302
    assert _opens_account(client)  # the device that changed it stays logged in
    assert not _opens_account(other)
    assert not _opens_account(other_remember)


def test_password_reset_ends_every_session(app, client, auth, make_user):
    from webapp.services import accounts

    user = make_user(email="lin@example.cn")
    auth.login(remember="y")
    remember_copy = _copy(client, "remember_token")
    assert _opens_account(client) and _opens_account(remember_copy)
    link = "/account/reset/" + accounts.make_reset_token(app.config["SECRET_KEY"], user)
    stranger = app.test_client()
    token = csrf_token(stranger, link)
    done = stranger.post(
        link, data={"csrf_token": token, "password": "brand-new-pass", "confirm": "brand-new-pass"}
    )
    assert done.status_code == 302
    assert not _opens_account(client)
    assert not _opens_account(remember_copy)


def test_log_out_everywhere_from_the_account_page(app, client, auth, make_user):
    make_user(email="lin@example.cn")
    other, other_auth = _device(app)
    other_auth.login(remember="y")
    other_remember = _copy(other, "remember_token")
    auth.login()
    page = client.get("/account").get_data(as_text=True)
    assert "/account/logout-everywhere" in page and "结束所有设备上的登录" in page
    token = csrf_token(client, "/account")
    response = client.post("/account/logout-everywhere", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/account/login"
    assert not _opens_account(client)
    assert not _opens_account(other)
    assert not _opens_account(other_remember)
    assert db.session.scalar(
        db.select(db.func.count()).where(AuditRecord.action == "account.sessions_ended")
    )
