"""Pages, languages, security headers, errors, CLI and configuration."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from webapp import create_app
from webapp.config import ConfigError, load_config
from webapp.extensions import db
from webapp.models import AuditRecord, MemorialSite, SinkProject, User


def test_home_is_chinese_by_default(client):
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in html
    assert "核算您的碳足迹" in html
    assert "认建认养纪念林地" in html and "验证证书" in html


SAME_SITE = {"Sec-Fetch-Site": "same-origin"}


def test_language_switch_persists_in_cookie(client):
    response = client.post("/lang", data={"lang": "en", "next": "/"}, headers=SAME_SITE)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html and "Measure your footprint" in html
    client.post("/lang", data={"lang": "zh_CN"}, headers=SAME_SITE)
    assert "核算您的碳足迹" in client.get("/").get_data(as_text=True)


def test_anonymous_pages_carry_no_token_and_give_no_session(client):
    response = client.get("/")
    assert 'name="csrf_token"' not in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/page"},
    ],
)
def test_language_switch_refuses_other_sites(client, headers):
    """Without a token, a page of another site still cannot switch a visitor's language."""
    response = client.post("/lang", data={"lang": "en", "next": "/"}, headers=headers)
    assert response.status_code == 403
    assert "Set-Cookie" not in response.headers
    assert "核算您的碳足迹" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    "headers", [{"Origin": "http://localhost"}, {"Referer": "http://localhost/v"}, {}]
)
def test_language_switch_from_this_site_without_fetch_metadata(client, headers):
    response = client.post("/lang", data={"lang": "en"}, headers=headers)
    assert response.status_code == 302
    assert "Measure your footprint" in client.get("/").get_data(as_text=True)


def test_language_choice_is_saved_for_the_user(client, auth, make_user):
    make_user(email="lin@example.cn")
    auth.login()
    client.post("/lang", data={"lang": "en"}, headers=SAME_SITE)
    assert db.session.scalar(select(User.locale)) == "en"
    client.delete_cookie("lang")
    assert "My account" in client.get("/account").get_data(as_text=True)


def test_language_switch_refuses_offsite_next_and_unknown_language(client):
    response = client.post(
        "/lang", data={"lang": "xx", "next": "https://evil.example"}, headers=SAME_SITE
    )
    assert response.headers["Location"] == "/"
    assert "核算您的碳足迹" in client.get("/").get_data(as_text=True)


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/", "/account/login", "/account/register"])
def test_pages_have_no_inline_script_or_external_resources(client, path):
    import re

    html = client.get(path).get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert not re.findall(r'(?:src|href|action)="(?:https?:)?//', html), "external resource"


def test_friendly_404_page_and_json_404_under_api(client):
    page = client.get("/no-such-page")
    assert page.status_code == 404 and "页面不存在" in page.get_data(as_text=True)
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api.get_json()["error"]["status"] == 404


def test_500_page_rolls_back_and_is_friendly(app, client):
    @app.get("/boom-test")
    def boom():
        db.session.add(User(email="x@y.cn", display_name="x", password_hash="x"))
        db.session.flush()
        raise RuntimeError("boom")

    response = client.get("/boom-test")
    assert response.status_code == 500
    assert "出错了" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_cli_users_create_any_role_and_audit(runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "boss@example.cn",
            "--password",
            "long-password-1",
            "--role",
            "admin",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User))
    assert user.role.value == "admin"
    bad = runner.invoke(
        args=["users", "create", "--email", "boss@example.cn", "--password", "long-password-1"]
    )
    assert bad.exit_code != 0 and "该电子邮箱已注册" in bad.output
    changed = runner.invoke(
        args=["users", "set-role", "--email", "boss@example.cn", "--role", "ranger"]
    )
    assert changed.exit_code == 0
    event = db.session.scalar(
        select(AuditRecord).where(AuditRecord.action == "account.role_changed")
    )
    assert event.details == {"old": "admin", "new": "ranger"}


def test_demo_data_is_idempotent(runner):
    first = runner.invoke(args=["demo-data"])
    assert first.exit_code == 0, first.output
    assert "admin@tanhui.local" in first.output
    counts = (
        db.session.scalar(select(func.count()).select_from(SinkProject)),
        db.session.scalar(select(func.count()).select_from(MemorialSite)),
        db.session.scalar(select(func.count()).select_from(User)),
    )
    second = runner.invoke(args=["demo-data"])
    assert second.exit_code == 0 and "0 created" in second.output
    again = (
        db.session.scalar(select(func.count()).select_from(SinkProject)),
        db.session.scalar(select(func.count()).select_from(MemorialSite)),
        db.session.scalar(select(func.count()).select_from(User)),
    )
    assert counts == again
    assert counts[0] >= 4
    codes = set(db.session.scalars(select(SinkProject.code)))
    assert {"TA-CLS", "GD-BMB", "CZ-LPT", "LS-FM"} <= codes


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "SECRET_KEY"),
        ({"SECRET_KEY": "x" * 40, "DEBUG": "1"}, "DEBUG"),
        ({"SECRET_KEY": "x" * 40}, "demo payment provider"),
    ],
)
def test_production_refuses_unsafe_configuration(monkeypatch, env, message):
    for name in ("SECRET_KEY", "DEBUG", "STRIPE_SECRET_KEY", "PAYMENT_PROVIDER"):
        monkeypatch.delenv(name, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=message):
        load_config("production")


def _key_file(path):
    from webapp.services.signing import SigningKey

    path.write_bytes(SigningKey.generate().private_pem())
    return str(path)


@pytest.mark.parametrize("broken", ["missing", "garbage"])
def test_production_refuses_to_start_without_a_usable_signing_key(monkeypatch, tmp_path, broken):
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_live_x")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_x")
    monkeypatch.delenv("SIGNING_KEY", raising=False)
    monkeypatch.setenv("BASE_URL", "https://tanhui.example.cn")
    key_file = tmp_path / "signing-key.pem"
    if broken == "garbage":
        key_file.write_text("not a key")
    monkeypatch.setenv("SIGNING_KEY_FILE", str(key_file))
    with pytest.raises(ConfigError, match="SIGNING_KEY_FILE"):
        create_app("production")
    assert broken == "garbage" or not key_file.exists()  # never generated in production


def test_production_signs_with_the_key_file(monkeypatch, tmp_path):
    from webapp.services import keys

    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_live_x")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_x")
    monkeypatch.delenv("SIGNING_KEY", raising=False)
    monkeypatch.setenv("BASE_URL", "https://tanhui.example.cn")
    monkeypatch.setenv("SIGNING_KEY_FILE", _key_file(tmp_path / "signing-key.pem"))
    config = load_config("production")
    settings = {"ENV_NAME": "production", "SIGNING_KEY_FILE": config.SIGNING_KEY_FILE}
    key, keyring = keys.signing(settings)
    assert keyring.verify(key.verifying_key.key_id, b"m", key.sign(b"m"))


def test_production_accepts_safe_configuration(monkeypatch, tmp_path):
    monkeypatch.setenv("BASE_URL", "https://tanhui.example.cn")
    monkeypatch.setenv("SIGNING_KEY_FILE", _key_file(tmp_path / "signing-key.pem"))
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_live_x")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_x")
    monkeypatch.delenv("DEBUG", raising=False)
    monkeypatch.delenv("PAYMENT_PROVIDER", raising=False)
    config = load_config("production")
    assert config.SESSION_COOKIE_SECURE and config.PAYMENT_PROVIDER == "stripe"
    assert not config.DEV_PAGES


def test_dev_pages_are_absent_in_production(monkeypatch, tmp_path):
    from webapp import create_app

    monkeypatch.setenv("BASE_URL", "https://tanhui.example.cn")
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_live_x")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_x")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SIGNING_KEY_FILE", _key_file(tmp_path / "signing-key.pem"))
    app = create_app("production", SQLALCHEMY_DATABASE_URI="sqlite://")
    assert "dev.outbox" not in app.view_functions
