"""Typed configuration read from the environment.

One class per environment; ``load_config`` picks one from ``TANHUI_ENV``.
Production refuses to start with unsafe settings (see ``validate``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_INSECURE_DEV_KEY = "dev-insecure-key-change-me"


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the app must not start."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value is not None else default


def served_address() -> str:
    """The address this machine serves on, from the variables ``make run`` (HOST, PORT) and
    ``flask run`` (FLASK_RUN_HOST, FLASK_RUN_PORT) read; the base URL outside production
    when BASE_URL is unset, so QR codes and printed links reach the server that made them."""
    host = _env("HOST") or _env("FLASK_RUN_HOST") or "127.0.0.1"
    port = _env("PORT") or _env("FLASK_RUN_PORT") or "5000"
    if host in {"0.0.0.0", "::", "[::]"}:  # noqa: S104 - all interfaces: loopback answers
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


class BaseConfig:
    ENV_NAME = "base"
    DEBUG = False
    TESTING = False

    def __init__(self) -> None:
        instance = Path(_env("INSTANCE_PATH", str(ROOT / "instance")))
        self.INSTANCE_PATH = str(instance)
        self.SECRET_KEY = _env("SECRET_KEY")
        self.SQLALCHEMY_DATABASE_URI = _env(
            "DATABASE_URL", f"sqlite:///{instance / 'tanhui.sqlite3'}"
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.BASE_URL = (_env("BASE_URL") or served_address()).rstrip("/")
        # Development only: the base URL follows the address each request came to (see
        # webapp/__init__.py), so `flask run --port N` or a phone on the LAN gets links
        # that work. Never in production, where BASE_URL is required.
        self.BASE_URL_FOLLOWS_REQUEST = False

        # Languages: Chinese first, English complete.
        self.BABEL_DEFAULT_LOCALE = "zh_CN"
        self.BABEL_DEFAULT_TIMEZONE = _env("TIMEZONE", "Asia/Shanghai")
        self.BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "webapp" / "translations")
        self.LANGUAGES = {"zh_CN": "简体中文", "en": "English"}

        # Mail: SMTP when MAIL_SERVER is set, else .eml files in instance/outbox.
        self.MAIL_SERVER = _env("MAIL_SERVER")
        self.MAIL_PORT = _env_int("MAIL_PORT", 587)
        self.MAIL_USERNAME = _env("MAIL_USERNAME")
        self.MAIL_PASSWORD = _env("MAIL_PASSWORD")
        self.MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", True)
        self.MAIL_FROM = _env("MAIL_FROM", "Tanhui 碳汇 <noreply@tanhui.local>")
        self.MAIL_OUTBOX = str(instance / "outbox")

        # Rate limits: memory by default, Redis when configured.
        self.REDIS_URL = _env("REDIS_URL")
        self.RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_HEADERS_ENABLED = True
        self.RATELIMIT_STRATEGY = "moving-window"
        self.LOGIN_RATE_LIMIT = _env("LOGIN_RATE_LIMIT", "10 per minute")
        self.RESET_RATE_LIMIT = _env("RESET_RATE_LIMIT", "5 per 15 minutes")
        self.CALCULATOR_RATE_LIMIT = _env("CALCULATOR_RATE_LIMIT", "30 per minute")
        # Attendee travel survey: per client address and event (a venue's Wi-Fi puts many
        # attendees behind one address), and per event overall.
        self.SURVEY_RATE_LIMIT = _env("SURVEY_RATE_LIMIT", "30 per 10 minutes")
        self.SURVEY_EVENT_RATE_LIMIT = _env("SURVEY_EVENT_RATE_LIMIT", "600 per 10 minutes")

        # Mobile-number accounts (webapp/services/phone_accounts.py): one-time SMS codes.
        self.PHONE_CODE_TTL_SECONDS = _env_int("PHONE_CODE_TTL_SECONDS", 300)
        self.PHONE_CODE_MAX_ATTEMPTS = _env_int("PHONE_CODE_MAX_ATTEMPTS", 3)
        self.PHONE_VERIFY_LIMIT = _env("PHONE_VERIFY_LIMIT", "6 per hour")
        self.PHONE_SEND_LIMIT = _env("PHONE_SEND_LIMIT", "1 per minute;5 per hour")
        self.PHONE_SEND_ADDRESS_LIMIT = _env("PHONE_SEND_ADDRESS_LIMIT", "20 per hour")
        # Where those counts live: Redis shared by every server (default REDIS_URL, else
        # RATELIMIT_STORAGE_URI), else this process's memory.
        self.PHONE_THROTTLE_STORAGE_URI = _env("PHONE_THROTTLE_STORAGE_URI")
        # SMS providers: Alibaba Cloud or Tencent Cloud, all of a provider's keys or none;
        # neither outside production = the development outbox (webapp/services/sms/).
        self.ALIYUN_SMS_ACCESS_KEY_ID = _env("ALIYUN_SMS_ACCESS_KEY_ID")
        self.ALIYUN_SMS_ACCESS_KEY_SECRET = _env("ALIYUN_SMS_ACCESS_KEY_SECRET")
        self.ALIYUN_SMS_SIGN_NAME = _env("ALIYUN_SMS_SIGN_NAME")
        self.ALIYUN_SMS_TEMPLATE_CODE = _env("ALIYUN_SMS_TEMPLATE_CODE")
        self.ALIYUN_SMS_ENDPOINT = _env("ALIYUN_SMS_ENDPOINT", "dysmsapi.aliyuncs.com")
        self.ALIYUN_SMS_PROTOCOL = _env("ALIYUN_SMS_PROTOCOL", "https")
        self.TENCENT_SMS_SECRET_ID = _env("TENCENT_SMS_SECRET_ID")
        self.TENCENT_SMS_SECRET_KEY = _env("TENCENT_SMS_SECRET_KEY")
        self.TENCENT_SMS_SDK_APP_ID = _env("TENCENT_SMS_SDK_APP_ID")
        self.TENCENT_SMS_SIGN_NAME = _env("TENCENT_SMS_SIGN_NAME")
        self.TENCENT_SMS_TEMPLATE_ID = _env("TENCENT_SMS_TEMPLATE_ID")
        self.TENCENT_SMS_REGION = _env("TENCENT_SMS_REGION", "ap-guangzhou")
        self.TENCENT_SMS_ENDPOINT = _env("TENCENT_SMS_ENDPOINT", "sms.tencentcloudapi.com")
        self.TENCENT_SMS_SCHEME = _env("TENCENT_SMS_SCHEME", "https")

        # Sessions and cookies.
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30
        self.PASSWORD_RESET_MAX_AGE = 60 * 60
        self.WTF_CSRF_TIME_LIMIT = None  # tied to the session instead of a clock

        # Payments: demo unless Stripe keys are configured.
        self.STRIPE_SECRET_KEY = _env("STRIPE_SECRET_KEY")
        self.STRIPE_WEBHOOK_SECRET = _env("STRIPE_WEBHOOK_SECRET")
        self.STRIPE_API_BASE = _env("STRIPE_API_BASE")
        # WeChat Pay (API v3, direct merchant) and Alipay (open platform, RSA2): offered
        # beside the provider above once all their settings are present (docs/DEPLOY.md).
        self.WECHATPAY_MCHID = _env("WECHATPAY_MCHID")
        self.WECHATPAY_APPID = _env("WECHATPAY_APPID")
        self.WECHATPAY_CERT_SERIAL_NO = _env("WECHATPAY_CERT_SERIAL_NO")
        self.WECHATPAY_PRIVATE_KEY_PATH = _env("WECHATPAY_PRIVATE_KEY_PATH")
        self.WECHATPAY_APIV3_KEY = _env("WECHATPAY_APIV3_KEY")
        # The platform's public key and its id (PUB_KEY_ID_…), or a folder of platform
        # certificates (the SDK keeps it up to date): one of the two.
        self.WECHATPAY_PUBLIC_KEY_PATH = _env("WECHATPAY_PUBLIC_KEY_PATH")
        self.WECHATPAY_PUBLIC_KEY_ID = _env("WECHATPAY_PUBLIC_KEY_ID")
        self.WECHATPAY_CERT_DIR = _env("WECHATPAY_CERT_DIR")
        self.WECHATPAY_API_BASE = _env("WECHATPAY_API_BASE")  # tests: the local server
        self.ALIPAY_APP_ID = _env("ALIPAY_APP_ID")
        self.ALIPAY_APP_PRIVATE_KEY_PATH = _env("ALIPAY_APP_PRIVATE_KEY_PATH")
        self.ALIPAY_PUBLIC_KEY_PATH = _env("ALIPAY_PUBLIC_KEY_PATH")
        self.ALIPAY_GATEWAY = _env("ALIPAY_GATEWAY", "https://openapi.alipay.com/gateway.do")
        # The merchant's name printed on receipts (收款方).
        self.MERCHANT_NAME = _env("MERCHANT_NAME", "碳汇平台 Tanhui")
        direct = any(self._direct_configured().values())
        self.PAYMENT_PROVIDER = _env(
            "PAYMENT_PROVIDER",
            "stripe" if self.STRIPE_SECRET_KEY else ("none" if direct else "demo"),
        )
        # Checkout payment methods offered by Stripe (each must be enabled on the account).
        self.STRIPE_PAYMENT_METHODS = [
            m.strip()
            for m in (_env("STRIPE_PAYMENT_METHODS", "card,alipay,wechat_pay") or "").split(",")
            if m.strip()
        ]
        # Stripe refuses charges below its per-currency minimum; check your account's table.
        self.STRIPE_MIN_AMOUNT_CNY = _env("STRIPE_MIN_AMOUNT_CNY", "4.00")
        # Bank transfer (对公转账): our receiving account, shown on organisations' orders.
        # Unset in production means bank transfer is not offered.
        self.BANK_ACCOUNT_NAME = _env("BANK_ACCOUNT_NAME")
        self.BANK_NAME = _env("BANK_NAME")
        self.BANK_ACCOUNT_NUMBER = _env("BANK_ACCOUNT_NUMBER")
        self.BANK_TRANSFER_HOLD_DAYS = _env_int("BANK_TRANSFER_HOLD_DAYS", 7)
        # `payments reconcile` re-fetches payments pending longer than this.
        self.RECONCILE_AFTER_MINUTES = _env_int("RECONCILE_AFTER_MINUTES", 15)

        # Runtime stores.
        self.CERTIFICATE_DIR = _env("CERTIFICATE_DIR", str(ROOT / "certificates"))
        # Bulk certificate jobs: an RQ queue on this Redis when set, else a thread in-process.
        self.RQ_REDIS_URL = _env("RQ_REDIS_URL")
        self.SIGNING_KEY_FILE = _env("SIGNING_KEY_FILE", str(instance / "signing-key.pem"))
        self.SIGNING_KEY = _env("SIGNING_KEY")
        self.RETIRED_KEYS_FILE = _env("RETIRED_KEYS_FILE")
        self.RESERVATION_MINUTES = _env_int("RESERVATION_MINUTES", 30)
        self.MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 16 * 1024 * 1024)
        # Rangers' plot photos: the largest upload accepted per photo, and where the
        # re-encoded JPEGs are kept (named by their SHA-256).
        self.PLOT_PHOTO_MAX_BYTES = _env_int("PLOT_PHOTO_MAX_BYTES", 5 * 1024 * 1024)
        self.PLOT_PHOTO_DIR = _env("PLOT_PHOTO_DIR", str(instance / "plot-photos"))
        # Rangers' offline scanner: a site pack older than this is flagged on the device.
        self.SCAN_PACK_MAX_AGE_HOURS = _env_int("SCAN_PACK_MAX_AGE_HOURS", 72)
        # Tree-planting duty (尽责): yuan of a sponsorship or donation counted as one tree
        # and trees counted per hour of volunteering, per site code (the site's
        # jurisdiction sets them), "default" for the rest. JSON in DUTY_CONVERSION, e.g.
        # {"CLS-JN": {"yuan_per_tree": "30", "trees_per_hour": "2", "source": "…"}}.
        # Left out: 20 yuan per tree (the national portal) and 3 trees an hour (Hangzhou's
        # published rule), each named with its source (docs/METHODOLOGY.md §13).
        self.DUTY_CONVERSION = json.loads(_env("DUTY_CONVERSION") or "{}")
        # Shared object storage (S3-compatible) instead of the local folders when a bucket
        # is set; see webapp/services/storage.py.
        self.STORAGE_S3_BUCKET = _env("STORAGE_S3_BUCKET")
        self.STORAGE_S3_ENDPOINT_URL = _env("STORAGE_S3_ENDPOINT_URL")
        self.STORAGE_S3_REGION = _env("STORAGE_S3_REGION", "us-east-1")
        self.STORAGE_S3_ACCESS_KEY_ID = _env("STORAGE_S3_ACCESS_KEY_ID")
        self.STORAGE_S3_SECRET_ACCESS_KEY = _env("STORAGE_S3_SECRET_ACCESS_KEY")
        # Observability: JSON logs in production, text elsewhere; /metrics needs this
        # bearer token when set, else answers loopback clients only.
        self.LOG_FORMAT = _env("LOG_FORMAT", "text")
        self.LOG_LEVEL = _env("LOG_LEVEL", "INFO")
        self.METRICS_TOKEN = _env("METRICS_TOKEN")
        # Certificate downloads sent by the front server: the internal location that
        # maps CERTIFICATE_DIR (e.g. /_protected/certificates/), unset = sent by the app.
        self.CERTIFICATE_ACCEL_PREFIX = _env("CERTIFICATE_ACCEL_PREFIX")
        # How many proxies (nginx, a load balancer) in front set X-Forwarded-For/-Proto:
        # their values are then trusted for the client address (rate limits) and scheme.
        self.PROXY_FIX_X_FOR = _env_int("PROXY_FIX_X_FOR", 0)
        self.DEV_PAGES = False
        # Outside production an unset bank account shows a demonstration account, marked so.
        self.BANK_DEMO = False

    def _direct_configured(self) -> dict[str, bool]:
        """Which direct providers (WeChat Pay, Alipay) have any of their settings."""
        return {
            name: any(getattr(self, key, None) for key in keys)
            for name, keys in DIRECT_PROVIDER_SETTINGS.items()
        }

    def check_direct_providers(self) -> None:
        """Refuse a half-configured WeChat Pay or Alipay: all its settings, or none."""
        for name, keys in DIRECT_PROVIDER_SETTINGS.items():
            given = [key for key in keys if getattr(self, key, None)]
            if given and len(given) < len(keys):
                missing = ", ".join(key for key in keys if key not in given)
                raise ConfigError(f"{name} is half configured: set {missing} too (or none).")
        wechat = self._direct_configured()["WeChat Pay"]
        if wechat and not (
            (self.WECHATPAY_PUBLIC_KEY_PATH and self.WECHATPAY_PUBLIC_KEY_ID)
            or self.WECHATPAY_CERT_DIR
        ):
            raise ConfigError(
                "WeChat Pay needs the platform public key (WECHATPAY_PUBLIC_KEY_PATH and "
                "WECHATPAY_PUBLIC_KEY_ID) or WECHATPAY_CERT_DIR to verify its notifications."
            )

    def validate(self) -> None:
        """Hook for environment-specific checks."""


class DevelopmentConfig(BaseConfig):
    ENV_NAME = "development"

    def __init__(self) -> None:
        super().__init__()
        self.DEBUG = _env_bool("DEBUG", False)
        self.SECRET_KEY = self.SECRET_KEY or _INSECURE_DEV_KEY
        self.DEV_PAGES = True
        self.BANK_DEMO = self.BANK_ACCOUNT_NUMBER is None
        self.BASE_URL_FOLLOWS_REQUEST = _env("BASE_URL") is None


class TestingConfig(BaseConfig):
    ENV_NAME = "testing"
    TESTING = True

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = "testing-secret"  # noqa: S105
        self.SQLALCHEMY_DATABASE_URI = _env("TEST_DATABASE_URL", "sqlite://")
        self.DEV_PAGES = True
        self.MAIL_SERVER = None
        self.PAYMENT_PROVIDER = "demo"
        # Each test app counts alone; the Redis tests pass a shared storage explicitly.
        self.PHONE_THROTTLE_STORAGE_URI = "memory://"
        self.BANK_DEMO = self.BANK_ACCOUNT_NUMBER is None


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"

    def __init__(self) -> None:
        super().__init__()
        self.DEBUG = _env_bool("DEBUG", False)
        self.SESSION_COOKIE_SECURE = True
        self.REMEMBER_COOKIE_SECURE = True
        self.PREFERRED_URL_SCHEME = "https"
        self.LOG_FORMAT = _env("LOG_FORMAT", "json")
        # No derived default: certificates printed with a wrong address cannot be recalled.
        self.BASE_URL = (_env("BASE_URL") or "").rstrip("/")

    def validate(self) -> None:
        if not self.SECRET_KEY or self.SECRET_KEY == _INSECURE_DEV_KEY or len(self.SECRET_KEY) < 32:
            raise ConfigError("SECRET_KEY must be set to a random value of at least 32 characters.")
        if self.DEBUG:
            raise ConfigError("DEBUG must be off in production.")
        if self.PAYMENT_PROVIDER == "demo":
            raise ConfigError(
                "The demo payment provider is refused in production: set STRIPE_SECRET_KEY "
                "and STRIPE_WEBHOOK_SECRET, WeChat Pay or Alipay, or PAYMENT_PROVIDER."
            )
        self.check_direct_providers()
        if self.PAYMENT_PROVIDER == "none" and not any(self._direct_configured().values()):
            raise ConfigError("No payment provider is configured (Stripe, WeChat Pay or Alipay).")
        if self.PAYMENT_PROVIDER == "stripe" and not self.STRIPE_WEBHOOK_SECRET:
            raise ConfigError("STRIPE_WEBHOOK_SECRET is required with the Stripe provider.")
        if not self.BASE_URL.startswith(("https://", "http://")):
            raise ConfigError(
                "BASE_URL must be set to the public address (https://…): QR codes, printed "
                "links and e-mails carry it."
            )


# The settings each direct provider needs, all of them (beside a way to verify WeChat Pay's
# signatures: WECHATPAY_PUBLIC_KEY_PATH with WECHATPAY_PUBLIC_KEY_ID, or WECHATPAY_CERT_DIR).
DIRECT_PROVIDER_SETTINGS: dict[str, tuple[str, ...]] = {
    "WeChat Pay": (
        "WECHATPAY_MCHID",
        "WECHATPAY_APPID",
        "WECHATPAY_CERT_SERIAL_NO",
        "WECHATPAY_PRIVATE_KEY_PATH",
        "WECHATPAY_APIV3_KEY",
    ),
    "Alipay": ("ALIPAY_APP_ID", "ALIPAY_APP_PRIVATE_KEY_PATH", "ALIPAY_PUBLIC_KEY_PATH"),
}

CONFIGS: dict[str, type[BaseConfig]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(name: str | None = None) -> BaseConfig:
    name = name or _env("TANHUI_ENV", "development")
    try:
        config = CONFIGS[name]()
    except KeyError as exc:
        raise ConfigError(f"Unknown TANHUI_ENV {name!r}; use one of {sorted(CONFIGS)}.") from exc
    config.validate()
    return config
