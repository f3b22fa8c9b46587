"""Sending one-time codes by SMS: one interface, three senders.

* :class:`~webapp.services.sms.aliyun.AliyunSender` — Alibaba Cloud SMS (Dysmsapi
  ``SendSms``, a template code and its JSON parameters) when ``ALIYUN_SMS_*`` is set;
* :class:`~webapp.services.sms.tencent.TencentSender` — Tencent Cloud SMS (``SendSms``
  2021-01-11) when ``TENCENT_SMS_*`` is set;
* :class:`~webapp.services.sms.outbox.OutboxSender` — outside production with neither, the
  message is written to the development outbox (``/dev/outbox``, loopback only).

Production without a provider offers no mobile-number sign-in (``phone_accounts_enabled``).
A provider configured by halves is refused at start-up (:func:`check_config`).
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

ALIYUN_KEYS = (
    "ALIYUN_SMS_ACCESS_KEY_ID",
    "ALIYUN_SMS_ACCESS_KEY_SECRET",
    "ALIYUN_SMS_SIGN_NAME",
    "ALIYUN_SMS_TEMPLATE_CODE",
)
TENCENT_KEYS = (
    "TENCENT_SMS_SECRET_ID",
    "TENCENT_SMS_SECRET_KEY",
    "TENCENT_SMS_SDK_APP_ID",
    "TENCENT_SMS_SIGN_NAME",
    "TENCENT_SMS_TEMPLATE_ID",
)


# Loggers that write whole requests or responses (the number, the code) at DEBUG: the SDKs'
# own and urllib3's request line (Alibaba Cloud's parameters travel in the query string).
_CHATTY_LOGGERS = ("darabonba-core", "tencentcloud_sdk_common", "urllib3.connectionpool")


class _WarningsOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


def quiet_sdk_logs() -> None:
    """Keep numbers and codes out of the logs whatever the log level (idempotent)."""
    for name in _CHATTY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _WarningsOnly) for f in logger.filters):
            logger.addFilter(_WarningsOnly())


class SmsError(RuntimeError):
    """The provider refused or could not be reached. The message never holds the code or
    the number."""


class SmsSender(Protocol):
    def send_code(self, phone: str, code: str, minutes: int) -> None:
        """Send ``code`` (valid ``minutes``) to ``phone`` (E.164)."""


def _configured(config: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    return [key for key in keys if config.get(key)]


def check_config(config: dict[str, Any]) -> str | None:
    """The configured provider ("aliyun", "tencent") or None; ValueError when half-set or both."""
    chosen = []
    for name, keys in (("aliyun", ALIYUN_KEYS), ("tencent", TENCENT_KEYS)):
        present = _configured(config, keys)
        if present and len(present) != len(keys):
            missing = ", ".join(key for key in keys if key not in present)
            raise ValueError(f"SMS provider {name} is configured by halves: set {missing}.")
        if present:
            chosen.append(name)
    if len(chosen) > 1:
        raise ValueError("Both Alibaba Cloud and Tencent Cloud SMS are configured: choose one.")
    return chosen[0] if chosen else None


def phone_accounts_enabled(config: dict[str, Any]) -> bool:
    """Mobile-number sign-in needs a provider, or (outside production) the outbox."""
    return check_config(config) is not None or config.get("ENV_NAME") != "production"


def sender_from_config(config: dict[str, Any]) -> SmsSender:
    provider = check_config(config)
    if provider == "aliyun":
        from webapp.services.sms.aliyun import AliyunSender

        return AliyunSender(
            access_key_id=config["ALIYUN_SMS_ACCESS_KEY_ID"],
            access_key_secret=config["ALIYUN_SMS_ACCESS_KEY_SECRET"],
            sign_name=config["ALIYUN_SMS_SIGN_NAME"],
            template_code=config["ALIYUN_SMS_TEMPLATE_CODE"],
            endpoint=config.get("ALIYUN_SMS_ENDPOINT") or "dysmsapi.aliyuncs.com",
            protocol=config.get("ALIYUN_SMS_PROTOCOL") or "https",
        )
    if provider == "tencent":
        from webapp.services.sms.tencent import TencentSender

        return TencentSender(
            secret_id=config["TENCENT_SMS_SECRET_ID"],
            secret_key=config["TENCENT_SMS_SECRET_KEY"],
            sdk_app_id=config["TENCENT_SMS_SDK_APP_ID"],
            sign_name=config["TENCENT_SMS_SIGN_NAME"],
            template_id=config["TENCENT_SMS_TEMPLATE_ID"],
            region=config.get("TENCENT_SMS_REGION") or "ap-guangzhou",
            endpoint=config.get("TENCENT_SMS_ENDPOINT") or "sms.tencentcloudapi.com",
            scheme=config.get("TENCENT_SMS_SCHEME") or "https",
        )
    if config.get("ENV_NAME") == "production":
        raise SmsError("no SMS provider is configured")
    from pathlib import Path

    from webapp.services.sms.outbox import OutboxSender

    return OutboxSender(Path(config["MAIL_OUTBOX"]) / "sms")
