"""Which payment methods the purchase form offers: WeChat Pay and Alipay only when
configured (the demo provider stays the default), and not inside WeChat's own browser,
where a clear message says why."""

from __future__ import annotations

import re

import pytest

from tests.support.payments import offset_form
from webapp.config import ConfigError, ProductionConfig

WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI"
)


def _methods(page: str) -> set[str]:
    return {m for m in ("demo", "wechat_pay", "alipay") if f'value="{m}"' in page}


def test_without_configuration_only_the_demo_is_offered(client, credits, buyer):
    page = client.get("/offset").get_data(as_text=True)
    assert _methods(page) == {"demo"}
    response = client.post("/offset", data=offset_form(client, method="wechat_pay"))
    assert response.status_code == 400


def test_configured_providers_are_offered_beside_the_default(china_pay_app, client, credits, buyer):
    page = client.get("/offset").get_data(as_text=True)
    assert _methods(page) == {"demo", "wechat_pay", "alipay"}
    demo = re.search(r'<input[^>]*value="demo"[^>]*>', page).group(0)
    assert "checked" in demo  # the demo provider stays the default
    assert "微信支付" in page and "支付宝" in page
    assert 'id="wechat-browser-notice"' not in page


def test_inside_wechat_the_direct_methods_are_hidden_with_a_reason(
    china_pay_app, client, credits, buyer
):
    client.environ_base["HTTP_USER_AGENT"] = WECHAT_UA
    page = client.get("/offset").get_data(as_text=True)
    assert _methods(page) == {"demo"}
    assert 'id="wechat-browser-notice"' in page and "在浏览器打开" in page


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WECHATPAY_MCHID": "1900000109"}, "WeChat Pay is half configured"),
        ({"ALIPAY_APP_ID": "2021000000000001"}, "Alipay is half configured"),
        (
            {
                "WECHATPAY_MCHID": "1",
                "WECHATPAY_APPID": "wx1",
                "WECHATPAY_CERT_SERIAL_NO": "ABC",
                "WECHATPAY_PRIVATE_KEY_PATH": "/k.pem",
                "WECHATPAY_APIV3_KEY": "k" * 32,
            },
            "platform public key",
        ),
    ],
)
def test_production_refuses_half_configured_providers(monkeypatch, env, message):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("BASE_URL", "https://tanhui.example.cn")
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_live_x")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_x")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=message):
        ProductionConfig().validate()


def test_production_with_only_alipay_needs_no_demo(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("BASE_URL", "https://tanhui.example.cn")
    for key in ("ALIPAY_APP_ID", "ALIPAY_APP_PRIVATE_KEY_PATH", "ALIPAY_PUBLIC_KEY_PATH"):
        monkeypatch.setenv(key, "set")
    config = ProductionConfig()
    assert config.PAYMENT_PROVIDER == "none"
    config.check_direct_providers()
