"""The base URL follows the address the app is served on, and is required in production.

QR codes, printed URLs, plaques, posters, e-mails and the demo URL ``make run`` prints are
all drawn from ``BASE_URL``: on another port they must point at that port, never at a
hard-coded ``127.0.0.1:5000``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.pdftools import decode_qr, rasterise
from webapp import create_app
from webapp.config import ConfigError, load_config, served_address
from webapp.services.signing import SigningKey

ADDRESS_VARIABLES = ("BASE_URL", "HOST", "PORT", "FLASK_RUN_HOST", "FLASK_RUN_PORT")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ADDRESS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "http://127.0.0.1:5000"),
        ({"PORT": "5101"}, "http://127.0.0.1:5101"),
        ({"HOST": "192.168.1.20", "PORT": "8000"}, "http://192.168.1.20:8000"),
        ({"HOST": "0.0.0.0", "PORT": "5101"}, "http://127.0.0.1:5101"),  # noqa: S104 - all interfaces
        ({"HOST": "::1", "PORT": "5101"}, "http://[::1]:5101"),
        ({"FLASK_RUN_PORT": "5202"}, "http://127.0.0.1:5202"),  # flask run's own variables
        ({"FLASK_RUN_HOST": "localhost", "FLASK_RUN_PORT": "5202"}, "http://localhost:5202"),
        ({"PORT": "5101", "FLASK_RUN_PORT": "5202"}, "http://127.0.0.1:5101"),  # make run's
    ],
)
def test_served_address_comes_from_host_and_port(clean_env, env, expected):
    for name, value in env.items():
        clean_env.setenv(name, value)
    development, testing = load_config("development"), load_config("testing")
    assert served_address() == development.BASE_URL == testing.BASE_URL == expected


def test_an_explicit_base_url_wins_and_is_not_followed(clean_env):
    clean_env.setenv("PORT", "5101")
    clean_env.setenv("BASE_URL", "https://tanhui.example.cn/")
    config = load_config("development")
    assert config.BASE_URL == "https://tanhui.example.cn"
    assert config.BASE_URL_FOLLOWS_REQUEST is False


def _production_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_live_x")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_x")
    # Production refuses to start without a usable signing key (issue 17).
    monkeypatch.setenv("SIGNING_KEY", SigningKey.generate().private_pem().decode())
    monkeypatch.delenv("DEBUG", raising=False)
    monkeypatch.delenv("PAYMENT_PROVIDER", raising=False)


@pytest.mark.parametrize("value", [None, "", "tanhui.example.cn"])
def test_production_refuses_a_missing_base_url(clean_env, value):
    _production_env(clean_env)
    clean_env.setenv("PORT", "8000")  # never derived from where gunicorn listens
    if value is not None:
        clean_env.setenv("BASE_URL", value)
    with pytest.raises(ConfigError, match="BASE_URL"):
        load_config("production")


def test_production_takes_the_base_url_given(clean_env):
    _production_env(clean_env)
    clean_env.setenv("BASE_URL", "https://tanhui.example.cn/")
    config = load_config("production")
    assert config.BASE_URL == "https://tanhui.example.cn"
    assert config.BASE_URL_FOLLOWS_REQUEST is False


def test_development_follows_the_address_of_each_request(clean_env, tmp_path: Path):
    """`flask run --port 5101` sets no variable the config could read: the request tells."""
    clean_env.setenv("INSTANCE_PATH", str(tmp_path))
    app = create_app("development", SQLALCHEMY_DATABASE_URI="sqlite://")
    assert app.config["BASE_URL"] == "http://127.0.0.1:5000"
    client = app.test_client()
    assert client.get("/healthz", base_url="http://127.0.0.1:5101").status_code == 200
    assert app.config["BASE_URL"] == "http://127.0.0.1:5101"
    client.get("/healthz", base_url="http://192.168.1.20:5101")  # a phone on the LAN
    assert app.config["BASE_URL"] == "http://192.168.1.20:5101"


def test_only_development_without_base_url_follows_requests(clean_env, tmp_path: Path):
    clean_env.setenv("INSTANCE_PATH", str(tmp_path))
    clean_env.setenv("BASE_URL", "https://tanhui.example.cn")
    app = create_app("development", SQLALCHEMY_DATABASE_URI="sqlite://")
    app.test_client().get("/healthz", base_url="http://127.0.0.1:5101")
    assert app.config["BASE_URL"] == "https://tanhui.example.cn"
    clean_env.delenv("BASE_URL")
    testing = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")
    testing.test_client().get("/healthz", base_url="http://127.0.0.1:5101")
    assert testing.config["BASE_URL"] == "http://127.0.0.1:5000"


def _demo_run(make_app, certificates: Path) -> tuple[str, str]:
    """`flask demo-data` as `make run` calls it: the URL it prints and its PDF's QR text."""
    app = make_app(CERTIFICATE_DIR=str(certificates))
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    printed = re.search(r"demo certificate \(.*?\): (\S+)", result.output)
    pdf = re.search(r"its PDF: (\S+)", result.output)
    assert printed and pdf, result.output
    qr = decode_qr(rasterise(Path(pdf[1]).read_bytes(), 200))
    assert len(qr) == 1
    return printed[1], qr[0]


def test_demo_data_prints_and_draws_the_port_it_runs_on(clean_env, app, make_app, tmp_path: Path):
    """(``app`` empties the tables afterwards.)"""
    certificates = tmp_path / "certificates"
    clean_env.setenv("PORT", "5101")
    printed, qr = _demo_run(make_app, certificates)
    assert printed.startswith("http://127.0.0.1:5101/v/")
    assert qr.startswith("HTTP://127.0.0.1:5101/V/")
    # Run again on another port: the demo certificate is redrawn for it, not left on 5101.
    clean_env.setenv("PORT", "5102")
    printed, qr = _demo_run(make_app, certificates)
    assert printed.startswith("http://127.0.0.1:5102/v/")
    assert qr.startswith("HTTP://127.0.0.1:5102/V/")
