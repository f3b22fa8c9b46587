"""Accounts: register, log in/out, remember me, password change and reset, throttling."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import func, select

from tests.support.app import csrf_token
from webapp.extensions import db
from webapp.models import AuditRecord, User


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_register_logs_in_and_audits(client, auth):
    response = auth.register()
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"
    page = client.get("/account").get_data(as_text=True)
    assert "林小树" in page and "lin@example.cn" in page
    user = db.session.scalar(select(User))
    assert user.password_hash.startswith("scrypt:")
    actions = db.session.scalars(select(AuditRecord.action)).all()
    assert "account.register" in actions


def test_register_invalid_email_is_refused_in_chinese(client, auth):
    response = auth.register(email="not-an-email")
    assert response.status_code == 400
    assert "请输入有效的电子邮箱地址。" in response.get_data(as_text=True)
    assert user_count() == 0


def test_register_messages_in_english(client, auth):
    client.set_cookie("lang", "en")
    response = auth.register(email="not-an-email", password="short")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Please enter a valid e-mail address." in html
    assert "Password must be between 8 and 128 characters." in html
    assert user_count() == 0


def test_register_short_password_is_refused(client, auth):
    response = auth.register(password="abc")
    assert response.status_code == 400
    assert "密码长度须在 8 到 128 个字符之间。" in response.get_data(as_text=True)
    assert user_count() == 0


def test_register_taken_email_is_refused(client, auth, make_user):
    make_user(email="lin@example.cn")
    response = auth.register(email="LIN@example.cn ")
    assert response.status_code == 400
    assert "该电子邮箱已注册。" in response.get_data(as_text=True)
    assert user_count() == 1


def test_register_mismatched_confirmation(client):
    token = csrf_token(client, "/account/register")
    response = client.post(
        "/account/register",
        data={
            "csrf_token": token,
            "email": "a@example.cn",
            "display_name": "A",
            "password": "long-enough-1",
            "confirm": "long-enough-2",
        },
    )
    assert response.status_code == 400
    assert "两次输入的密码不一致。" in response.get_data(as_text=True)
    assert user_count() == 0


def test_post_without_csrf_is_refused(client):
    response = client.post(
        "/account/register",
        data={
            "email": "a@example.cn",
            "display_name": "A",
            "password": "long-enough-1",
            "confirm": "long-enough-1",
        },
    )
    assert response.status_code == 400
    assert "表单已过期或并非从本站提交" in response.get_data(as_text=True)
    assert user_count() == 0


def test_login_logout(client, auth, make_user):
    make_user(email="lin@example.cn")
    assert auth.login().headers["Location"] == "/account"
    assert client.get("/account").status_code == 200
    auth.logout()
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login?next=")


def test_logout_requires_post(client, auth, make_user):
    make_user(email="lin@example.cn")
    auth.login()
    assert client.get("/account/logout").status_code == 405
    assert client.get("/account").status_code == 200


def test_wrong_password_message_and_audit(client, auth, make_user):
    make_user(email="lin@example.cn")
    response = auth.login(password="wrong-password")
    assert response.status_code == 400
    assert "电子邮箱或密码不正确。" in response.get_data(as_text=True)
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditRecord)
            .where(AuditRecord.action == "login.failed")
        )
        == 1
    )


def test_twenty_wrong_passwords_in_a_minute_are_throttled(client, auth, make_user):
    make_user(email="lin@example.cn")
    codes = [auth.login(password=f"wrong-{i}").status_code for i in range(20)]
    assert codes[:10] == [400] * 10
    assert set(codes[10:]) == {429}
    # Even the right password is refused while throttled.
    assert auth.login().status_code == 429


def test_remember_me_sets_cookie(client, auth, make_user):
    make_user(email="lin@example.cn")
    auth.login(remember="y")
    cookie = client.get_cookie("remember_token")
    assert cookie is not None and cookie.http_only


def test_open_redirect_through_next_is_refused(client, auth, make_user):
    make_user(email="lin@example.cn")
    for evil in [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        " //evil.example",
    ]:
        response = auth.login(next=evil)
        assert response.status_code == 302
        assert response.headers["Location"] == "/account", evil
        auth.logout()
    response = auth.login(next="/account/password")
    assert response.headers["Location"] == "/account/password"


def test_change_password(client, auth, make_user):
    make_user(email="lin@example.cn")
    auth.login()
    token = csrf_token(client, "/account/password")
    bad = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current": "nope-nope-nope",
            "password": "new-password-1",
            "confirm": "new-password-1",
        },
    )
    assert bad.status_code == 400 and "当前密码不正确。" in bad.get_data(as_text=True)
    ok = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current": "correct-horse-9",
            "password": "new-password-1",
            "confirm": "new-password-1",
        },
    )
    assert ok.status_code == 302
    auth.logout()
    assert auth.login().status_code == 400
    assert auth.login(password="new-password-1").status_code == 302


def _outbox_link(app) -> str:
    files = sorted(Path(app.config["MAIL_OUTBOX"]).glob("*.eml"))
    assert len(files) == 1
    from email import policy
    from email.parser import BytesParser

    msg = BytesParser(policy=policy.default).parsebytes(files[0].read_bytes())
    decoded = msg.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"/account/reset/[\w.\-]+", decoded)
    assert match, decoded
    return match.group(0)


def test_password_reset_by_emailed_token(app, client, make_user, auth):
    make_user(email="lin@example.cn")
    token = csrf_token(client, "/account/reset")
    response = client.post("/account/reset", data={"csrf_token": token, "email": "lin@example.cn"})
    assert response.status_code == 302
    link = _outbox_link(app)
    # The outbox is listed on the development page.
    assert "重置您的碳汇平台密码" in client.get("/dev/outbox").get_data(as_text=True)

    token = csrf_token(client, link)
    done = client.post(
        link, data={"csrf_token": token, "password": "brand-new-pass", "confirm": "brand-new-pass"}
    )
    assert done.status_code == 302 and done.headers["Location"] == "/account/login"
    assert auth.login(password="brand-new-pass").status_code == 302
    auth.logout()
    # A used link cannot be replayed.
    token = csrf_token(client, link)
    again = client.post(
        link,
        data={"csrf_token": token, "password": "another-pass-1", "confirm": "another-pass-1"},
        follow_redirects=True,
    )
    assert "该重置链接已被使用。" in again.get_data(as_text=True)
    assert auth.login(password="another-pass-1").status_code == 400


def test_reset_request_for_unknown_email_reveals_nothing(app, client):
    token = csrf_token(client, "/account/reset")
    response = client.post(
        "/account/reset", data={"csrf_token": token, "email": "nobody@x.cn"}, follow_redirects=True
    )
    assert "如果该邮箱已注册" in response.get_data(as_text=True)
    assert not list(Path(app.config["MAIL_OUTBOX"]).glob("*.eml"))


def test_forged_reset_token_is_refused(client, make_user):
    make_user(email="lin@example.cn")
    link = "/account/reset/eyJ1aWQiOjF9.forged.sig"
    token = csrf_token(client, link)
    response = client.post(
        link,
        data={"csrf_token": token, "password": "brand-new-pass", "confirm": "brand-new-pass"},
        follow_redirects=True,
    )
    assert "该重置链接无效。" in response.get_data(as_text=True)


def test_demo_accounts_on_reserved_domains_can_log_in(app, client, auth, make_user):
    make_user("organiser", email="organiser@tanhui.local", password="demo-organiser-2026")
    response = auth.login("organiser@tanhui.local", "demo-organiser-2026")
    assert response.status_code == 302
