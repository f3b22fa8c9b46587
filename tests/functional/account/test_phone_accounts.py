"""Mobile-number accounts: sign in / register with an SMS code, binding both ways,
the code rules (expiry, single use, hashed, attempts), throttling and what reaches the logs."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from tests.support.app import AuthActions, csrf_token
from tests.support.phone_accounts import PhoneActions, last_code, sent_messages
from tests.support.sms_servers import AliyunSmsServer, TencentSmsServer
from webapp.extensions import db
from webapp.models import PhoneCode, User
from webapp.models.base import utcnow
from webapp.services import mail, sms

NUMBER = "+8613800138000"


@pytest.fixture
def phone(client):
    return PhoneActions(client)


def users() -> list[User]:
    return list(db.session.scalars(select(User)))


def test_register_with_a_number_and_the_code_signs_in(app, client, phone):
    response = phone.send("138 0013 8000")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/phone/verify"
    message = sent_messages(app)[-1]
    assert message["to"] == "138****8000"
    response = phone.verify(last_code(app), display_name="林小树")
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    [user] = users()
    assert user.phone == NUMBER and user.email is None and user.password_hash is None
    assert user.display_name == "林小树"
    page = client.get("/account").get_data(as_text=True)
    assert "138****8000" in page and "13800138000" not in page


@pytest.mark.parametrize(
    "typed",
    [
        "138 0013 8000",
        "+86 138-0013-8000",
        "8613800138000",
        "008613800138000",
        "１３８００１３８０００",
    ],
)
def test_the_ways_people_type_a_number_give_one_account(app, phone, typed):
    assert phone.send(typed).status_code == 302
    assert phone.verify(last_code(app)).status_code == 302
    assert [u.phone for u in users()] == [NUMBER]


@pytest.mark.parametrize("typed", ["12800138000", "1380013800", "+1 415 555 0100", "abc", ""])
def test_invalid_numbers_get_a_clear_message_and_no_code(app, phone, typed):
    response = phone.send(typed)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "请输入11位中国大陆手机号码" in page or "此项为必填项" in page
    assert sent_messages(app) == []
    assert db.session.scalar(select(func.count()).select_from(PhoneCode)) == 0


def test_invalid_number_in_english(app, client, phone):
    client.set_cookie("lang", "en")
    response = phone.send("12800138000")
    assert "mainland China mobile number of 11 digits" in response.get_data(as_text=True)


def test_existing_number_signs_in_to_the_same_account(app, client, phone, auth):
    phone.sign_in(app, "13800138000")
    first = users()[0].id
    auth.logout()
    db.session.execute(update(PhoneCode).values(created_at=utcnow() - timedelta(minutes=2)))
    app.extensions["phone_throttle"] = type(app.extensions["phone_throttle"])("memory://")
    response = phone.sign_in(app, "138 0013 8000")
    assert response.status_code == 302
    assert [u.id for u in users()] == [first]


def test_code_is_stored_hashed_and_single_use(app, client, phone, auth):
    phone.send(NUMBER)
    code = last_code(app)
    row = db.session.scalar(select(PhoneCode))
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert phone.verify(code).status_code == 302
    auth.logout()
    # The same code again (a replay) on a fresh flow is refused.
    with client.session_transaction() as session:
        session["phone_flow"] = {"phone": NUMBER, "purpose": "sign_in", "next": ""}
    response = phone.verify(code)
    assert response.status_code == 400
    assert "已过期或已使用" in response.get_data(as_text=True)


def test_code_expires_after_five_minutes(app, phone):
    phone.send(NUMBER)
    code = last_code(app)
    row = db.session.scalar(select(PhoneCode))
    assert row.expires_at - row.created_at == timedelta(minutes=5)
    db.session.execute(update(PhoneCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    response = phone.verify(code)
    assert response.status_code == 400
    assert users() == []


def test_a_new_code_supersedes_the_old_one(app, phone):
    phone.send(NUMBER)
    old = last_code(app)
    app.extensions["phone_throttle"] = type(app.extensions["phone_throttle"])("memory://")
    phone.send(NUMBER)
    new = last_code(app)
    if old != new:
        assert phone.verify(old).status_code == 400
    assert phone.verify(new).status_code == 302


def test_guessing_is_limited_per_code(app, phone):
    phone.send(NUMBER)
    code = last_code(app)
    wrong = "000000" if code != "000000" else "111111"
    statuses = [phone.verify(wrong).status_code for _ in range(3)]
    assert statuses == [400, 400, 400]
    # The fourth guess is refused even when right: the code is used up.
    response = phone.verify(code)
    assert response.status_code == 429
    assert users() == []
    assert db.session.scalar(select(PhoneCode.attempts)) == 3


def test_guessing_is_limited_per_number_per_hour(app, phone):
    app.config["PHONE_SEND_LIMIT"] = "100 per hour"
    statuses = []
    for _ in range(3):
        phone.send(NUMBER)
        code = last_code(app)
        wrong = "000000" if code != "000000" else "111111"
        statuses += [phone.verify(wrong).status_code for _ in range(3)]
    # six guesses an hour for the number (PHONE_VERIFY_LIMIT), whatever the codes
    assert statuses[:6] == [400] * 6
    assert set(statuses[6:]) == {429}
    phone.send(NUMBER)
    response = phone.verify(last_code(app))
    assert response.status_code == 429
    assert "一小时" in response.get_data(as_text=True)
    assert users() == []


def test_sending_is_limited_per_number(app, phone):
    assert phone.send(NUMBER).status_code == 302
    response = phone.send("138 0013 8000")
    assert response.status_code == 429
    assert len(sent_messages(app)) == 1


def test_sending_is_limited_per_client_address(app, phone):
    app.config["PHONE_SEND_ADDRESS_LIMIT"] = "3 per hour"
    statuses = [phone.send(f"1390000000{i}").status_code for i in range(5)]
    assert statuses == [302, 302, 302, 429, 429]
    assert len(sent_messages(app)) == 3


def test_no_code_or_number_reaches_the_logs(app, client, phone, auth, caplog):
    caplog.set_level(logging.DEBUG)
    # One sending fails (the provider cannot be reached), so the error path logs too.
    app.config.update(
        ALIYUN_SMS_ACCESS_KEY_ID="LTAIfake",
        ALIYUN_SMS_ACCESS_KEY_SECRET="secret",
        ALIYUN_SMS_SIGN_NAME="碳汇",
        ALIYUN_SMS_TEMPLATE_CODE="SMS_1",
        ALIYUN_SMS_ENDPOINT="127.0.0.1:1",
        ALIYUN_SMS_PROTOCOL="http",
    )
    phone.send("13800138000", path="/account/phone")
    for key in ("ALIYUN_SMS_ACCESS_KEY_ID", "ALIYUN_SMS_ACCESS_KEY_SECRET"):
        app.config[key] = None
    app.config.update(ALIYUN_SMS_SIGN_NAME=None, ALIYUN_SMS_TEMPLATE_CODE=None)
    app.extensions["phone_throttle"] = type(app.extensions["phone_throttle"])("memory://")
    phone.send("138 0013 8000")
    phone.verify("000000" if last_code(app) != "000000" else "111111")
    code = last_code(app)
    phone.verify(code)
    client.get("/account")
    auth.logout()
    phone.send(NUMBER)  # throttled
    phone.send("12800138000")  # invalid
    logged = "\n".join(
        [r.getMessage() for r in caplog.records] + [repr(r.args) for r in caplog.records]
    )
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("SMS code could not be sent: Alibaba Cloud") for m in messages)
    assert "SMS code sent through OutboxSender" in messages  # the flow was logged …
    for secret in ("13800138000", "138 0013 8000", "0013", code):
        assert secret not in logged  # … without the number or the code


def test_email_account_binds_a_number(app, client, auth, phone):
    auth.register()
    assert phone.send("13800138000", path="/account/phone/bind").status_code == 302
    response = phone.verify(last_code(app), path="/account/phone/bind/verify")
    assert response.status_code == 302
    [user] = users()
    assert user.email == "lin@example.cn" and user.phone == NUMBER
    auth.logout()
    # Now the number signs in to the same account.
    app.extensions["phone_throttle"] = type(app.extensions["phone_throttle"])("memory://")
    assert phone.sign_in(app, NUMBER).status_code == 302
    assert [u.id for u in users()] == [user.id]


def test_a_number_of_another_account_cannot_be_bound(app, client, auth, phone, make_user):
    phone.sign_in(app, NUMBER)
    auth.logout()
    auth.register(email="wang@example.cn")
    app.extensions["phone_throttle"] = type(app.extensions["phone_throttle"])("memory://")
    phone.send(NUMBER, path="/account/phone/bind")
    code = last_code(app)
    # Without the code nothing is told about the number.
    wrong = "000000" if code != "000000" else "111111"
    page = phone.verify(wrong, path="/account/phone/bind/verify").get_data(as_text=True)
    assert "验证码不正确" in page and "另一个账户" not in page
    response = phone.verify(code, path="/account/phone/bind/verify")
    assert response.status_code == 400
    assert "此手机号码已属于另一个账户" in response.get_data(as_text=True)
    assert db.session.scalar(select(User.phone).where(User.email == "wang@example.cn")) is None


def test_phone_account_binds_email_and_password(app, client, auth, phone):
    phone.sign_in(app, NUMBER)
    token = csrf_token(client, "/account/email")
    response = client.post(
        "/account/email",
        data={
            "csrf_token": token,
            "email": "Lin@Example.cn",
            "password": "correct-horse-9",
            "confirm": "correct-horse-9",
        },
    )
    assert response.status_code == 302
    auth.logout()
    assert AuthActions(client).login().status_code == 302
    [user] = users()
    assert user.email == "lin@example.cn" and user.phone == NUMBER


def test_phone_account_without_password_cannot_log_in_by_password(app, client, auth, phone):
    phone.sign_in(app, NUMBER)
    auth.logout()
    user = users()[0]
    user.email = "lin@example.cn"
    db.session.commit()
    assert AuthActions(client).login().status_code == 400


def test_next_is_kept_and_must_be_local(app, client, phone):
    response = phone.send(NUMBER, next="/orders")
    assert response.status_code == 302
    assert phone.verify(last_code(app)).headers["Location"] == "/orders"


def test_next_elsewhere_is_ignored(app, client, phone):
    phone.send(NUMBER, next="//evil.example/")
    assert phone.verify(last_code(app)).headers["Location"] == "/account"


def test_code_post_without_csrf_is_refused(app, client, phone):
    phone.send(NUMBER)
    response = client.post("/account/phone/verify", data={"code": last_code(app)})
    assert response.status_code == 400
    assert users() == []


def test_login_page_offers_both_ways_phone_first(client):
    page = client.get("/account/login").get_data(as_text=True)
    assert page.index('href="/account/phone') < page.index('name="email"')


def test_verify_without_a_number_goes_back(client):
    response = client.get("/account/phone/verify")
    assert response.status_code == 302 and response.headers["Location"] == "/account/phone"


ALIYUN_KEY = ("LTAI5tTanhuiTest", "aliyun-secret-0123456789")
TENCENT_KEY = ("AKIDTanhuiTest", "tencent-secret-0123456789")


def _aliyun_config(server: AliyunSmsServer) -> dict:
    return {
        "ALIYUN_SMS_ACCESS_KEY_ID": ALIYUN_KEY[0],
        "ALIYUN_SMS_ACCESS_KEY_SECRET": ALIYUN_KEY[1],
        "ALIYUN_SMS_SIGN_NAME": "碳汇",
        "ALIYUN_SMS_TEMPLATE_CODE": "SMS_100000001",
        "ALIYUN_SMS_ENDPOINT": server.endpoint,
        "ALIYUN_SMS_PROTOCOL": "http",
    }


def _tencent_config(server: TencentSmsServer) -> dict:
    return {
        "TENCENT_SMS_SECRET_ID": TENCENT_KEY[0],
        "TENCENT_SMS_SECRET_KEY": TENCENT_KEY[1],
        "TENCENT_SMS_SDK_APP_ID": "1400000001",
        "TENCENT_SMS_SIGN_NAME": "碳汇",
        "TENCENT_SMS_TEMPLATE_ID": "100001",
        "TENCENT_SMS_ENDPOINT": server.endpoint,
        "TENCENT_SMS_SCHEME": "http",
    }


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_sign_in_through_each_provider_with_nothing_in_the_logs(
    app, client, phone, caplog, provider
):
    caplog.set_level(logging.DEBUG)
    if provider == "aliyun":
        server, make_config, key = (
            AliyunSmsServer({ALIYUN_KEY[0]: ALIYUN_KEY[1]}),
            _aliyun_config,
            "code",
        )
    else:
        server, make_config, key = (
            TencentSmsServer({TENCENT_KEY[0]: TENCENT_KEY[1]}),
            _tencent_config,
            0,
        )
    with server:
        app.config.update(make_config(server))
        assert phone.send("138 0013 8000").status_code == 302
        [message] = server.messages
        code = message["params"][key]
        assert phone.verify(code).status_code == 302
    assert sent_messages(app) == []  # not the outbox
    assert [u.phone for u in users()] == [NUMBER]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"SMS code sent through {type(sms.sender_from_config(app.config)).__name__}" in logged
    for secret in ("13800138000", "0013", code):
        assert secret not in logged


def test_mail_for_an_account_without_email_is_skipped(app, phone):
    phone.sign_in(app, NUMBER)
    [user] = users()
    mail.send(app.config, mail.Mail(to=user.email, subject="收据", text="…"))
    assert mail.list_outbox(Path(app.config["MAIL_OUTBOX"])) == []


def test_production_without_a_provider_offers_no_phone_sign_in(app, client):
    app.config["ENV_NAME"] = "production"
    assert client.get("/account/phone").status_code == 404
    assert client.get("/account/phone/verify").status_code == 404
    page = client.get("/account/login").get_data(as_text=True)
    assert 'href="/account/phone' not in page and 'name="email"' in page
    app.config.update(dict.fromkeys(sms.TENCENT_KEYS, "x"))
    assert client.get("/account/phone").status_code == 200


def test_an_unreachable_throttle_store_refuses_clearly_and_sends_nothing(app, phone):
    """A limit that cannot be counted is not a limit: no code goes out, and the person reads
    why (503), never a server error."""
    from webapp.services.throttle import Throttle

    app.extensions["phone_throttle"] = Throttle("redis://127.0.0.1:1/0")  # nothing listens
    response = phone.send("138 0013 8000")
    assert response.status_code == 503
    assert "暂时无法使用手机号登录" in response.get_data(as_text=True)
    assert sent_messages(app) == []
    assert db.session.scalar(select(func.count()).select_from(PhoneCode)) == 0


def test_a_number_taken_a_moment_earlier_is_a_conflict_not_a_crash(app, make_user):
    """The unique constraint decides a race between two bindings; the loser is told."""
    from webapp.errors import Conflict
    from webapp.services import phone_accounts

    first = make_user(email="first@example.cn")
    second = make_user(email="second@example.cn")
    first.phone = NUMBER
    db.session.commit()
    second.phone = NUMBER  # what a concurrent request's check could not yet see
    with pytest.raises(Conflict):
        phone_accounts._flush_unique(db.session, "taken")
    db.session.rollback()
    assert db.session.get(User, second.id).phone is None
