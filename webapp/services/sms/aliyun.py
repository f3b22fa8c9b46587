"""Alibaba Cloud SMS (Dysmsapi 2017-05-25 ``SendSms``) through the official SDK
``alibabacloud-dysmsapi20170525``: the sign name, a verification-code template (e.g.
"您的验证码为${code}，${minutes}分钟内有效") and its parameters as JSON. Requests are
signed by the SDK (ACS3-HMAC-SHA256)."""

from __future__ import annotations

import json

from webapp.services.sms import SmsError, quiet_sdk_logs


class AliyunSender:
    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        template_code: str,
        endpoint: str = "dysmsapi.aliyuncs.com",
        protocol: str = "https",
        timeout_ms: int = 10_000,
    ) -> None:
        quiet_sdk_logs()
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi import models as open_api_models

        config = open_api_models.Config(
            access_key_id=access_key_id,
            access_key_secret=access_key_secret,
            endpoint=endpoint,
            protocol=protocol,
            read_timeout=timeout_ms,
            connect_timeout=timeout_ms,
        )
        self._client = Client(config)
        self.sign_name = sign_name
        self.template_code = template_code

    def send_code(self, phone: str, code: str, minutes: int) -> None:
        from alibabacloud_dysmsapi20170525 import models

        request = models.SendSmsRequest(
            # Mainland numbers are given without the country code.
            phone_numbers=phone.removeprefix("+86"),
            sign_name=self.sign_name,
            template_code=self.template_code,
            template_param=json.dumps({"code": code, "minutes": str(minutes)}),
        )
        try:
            response = self._client.send_sms(request)
        except Exception as exc:
            raise SmsError(
                f"Alibaba Cloud SMS could not be reached ({type(exc).__name__})"
            ) from None
        body = response.body
        if body is None or body.code != "OK":
            raise SmsError(f"Alibaba Cloud SMS refused the message ({getattr(body, 'code', None)})")
