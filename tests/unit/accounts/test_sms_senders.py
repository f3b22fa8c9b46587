"""The SMS senders through the real SDKs, against local servers that check signatures
(tests/support/sms_servers.py); provider configuration checks."""

from __future__ import annotations

import pytest

from tests.support.sms_servers import AliyunSmsServer, TencentSmsServer
from webapp import create_app
from webapp.config import ConfigError
from webapp.services import sms
from webapp.services.sms.aliyun import AliyunSender
from webapp.services.sms.tencent import TencentSender

ALIYUN = {"LTAI5tTanhuiTest": "aliyun-secret-0123456789"}
TENCENT = {"AKIDTanhuiTest": "tencent-secret-0123456789"}


def aliyun(server: AliyunSmsServer, secret: str = ALIYUN["LTAI5tTanhuiTest"], **kw) -> AliyunSender:
    return AliyunSender(
        access_key_id="LTAI5tTanhuiTest",
        access_key_secret=secret,
        sign_name="碳汇",
        template_code=kw.pop("template_code", "SMS_100000001"),
        endpoint=server.endpoint,
        protocol="http",
    )


def tencent(
    server: TencentSmsServer, secret: str = TENCENT["AKIDTanhuiTest"], **kw
) -> TencentSender:
    return TencentSender(
        secret_id="AKIDTanhuiTest",
        secret_key=secret,
        sdk_app_id="1400000001",
        sign_name="碳汇",
        template_id=kw.pop("template_id", "100001"),
        endpoint=server.endpoint,
        scheme="http",
    )


def test_aliyun_sends_a_signed_request_with_template_and_json_params():
    with AliyunSmsServer(ALIYUN) as server:
        aliyun(server).send_code("+8613800138000", "123456", 5)
        aliyun(server).send_code("+8613900139000", "654321", 5)
    assert server.refusals == []
    assert server.messages[0] == {
        "to": "13800138000",
        "sign": "碳汇",
        "template": "SMS_100000001",
        "params": {"code": "123456", "minutes": "5"},
    }
    assert len(server.messages) == 2


def test_aliyun_wrong_secret_is_refused_by_the_signature_check():
    with AliyunSmsServer(ALIYUN) as server, pytest.raises(sms.SmsError) as caught:
        aliyun(server, secret="not-the-secret").send_code("+8613800138000", "123456", 5)
    assert server.refusals == ["SignatureDoesNotMatch"] and server.messages == []
    assert "123456" not in str(caught.value) and "13800138000" not in str(caught.value)


def test_aliyun_business_refusal_is_an_error():
    with AliyunSmsServer(ALIYUN) as server, pytest.raises(sms.SmsError, match="TEMPLATE"):
        aliyun(server, template_code="SMS_999").send_code("+8613800138000", "123456", 5)


def test_tencent_sends_a_tc3_signed_request():
    with TencentSmsServer(TENCENT) as server:
        tencent(server).send_code("+8613800138000", "123456", 5)
    assert server.refusals == []
    assert server.messages == [
        {"to": "+8613800138000", "sign": "碳汇", "template": "100001", "params": ["123456", "5"]}
    ]


def test_tencent_wrong_secret_is_refused_by_the_signature_check():
    with TencentSmsServer(TENCENT) as server, pytest.raises(sms.SmsError) as caught:
        tencent(server, secret="not-the-secret").send_code("+8613800138000", "123456", 5)
    assert server.refusals == ["AuthFailure.SignatureFailure"] and server.messages == []
    assert "123456" not in str(caught.value)


def test_tencent_refusal_is_an_error():
    with TencentSmsServer(TENCENT) as server, pytest.raises(sms.SmsError, match="Template"):
        tencent(server, template_id="999").send_code("+8613800138000", "123456", 5)


def test_sender_is_chosen_by_configuration(tmp_path):
    base = {"ENV_NAME": "development", "MAIL_OUTBOX": str(tmp_path)}
    assert type(sms.sender_from_config(base)).__name__ == "OutboxSender"
    with TencentSmsServer(TENCENT) as server:
        config = {
            **base,
            "TENCENT_SMS_SECRET_ID": "AKIDTanhuiTest",
            "TENCENT_SMS_SECRET_KEY": TENCENT["AKIDTanhuiTest"],
            "TENCENT_SMS_SDK_APP_ID": "1400000001",
            "TENCENT_SMS_SIGN_NAME": "碳汇",
            "TENCENT_SMS_TEMPLATE_ID": "100001",
            "TENCENT_SMS_ENDPOINT": server.endpoint,
            "TENCENT_SMS_SCHEME": "http",
        }
        sms.sender_from_config(config).send_code("+8613800138000", "123456", 5)
    assert len(server.messages) == 1
    with pytest.raises(sms.SmsError):
        sms.sender_from_config({"ENV_NAME": "production"})


@pytest.mark.parametrize(
    "config",
    [
        {"ALIYUN_SMS_ACCESS_KEY_ID": "LTAI"},
        {"TENCENT_SMS_SECRET_ID": "AKID", "TENCENT_SMS_SECRET_KEY": "k"},
        dict.fromkeys(sms.ALIYUN_KEYS + sms.TENCENT_KEYS, "x"),
    ],
)
def test_half_or_doubly_configured_providers_are_refused(config):
    with pytest.raises(ValueError, match="SMS"):
        sms.check_config(config)


def test_production_refuses_a_half_configured_provider(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("BASE_URL", "https://tanhui.example.cn")
    monkeypatch.setenv("PAYMENT_PROVIDER", "bank")
    monkeypatch.setenv("ALIYUN_SMS_ACCESS_KEY_ID", "LTAI5t")
    monkeypatch.setenv("ALIYUN_SMS_SIGN_NAME", "碳汇")
    with pytest.raises(ConfigError, match="ALIYUN_SMS_ACCESS_KEY_SECRET"):
        create_app("production")


def test_phone_accounts_need_a_provider_in_production():
    assert not sms.phone_accounts_enabled({"ENV_NAME": "production"})
    assert sms.phone_accounts_enabled({"ENV_NAME": "development"})
    config = {"ENV_NAME": "production", **dict.fromkeys(sms.TENCENT_KEYS, "x")}
    assert sms.phone_accounts_enabled(config)
