"""Tencent Cloud SMS (``SendSms``, API 2021-01-11) through the official SDK
``tencentcloud-sdk-python-sms``: the SDK app id, sign name, a verification-code template
id and its parameters (the code, the minutes). Requests are signed by the SDK
(TC3-HMAC-SHA256)."""

from __future__ import annotations

from webapp.services.sms import SmsError, quiet_sdk_logs


class TencentSender:
    def __init__(
        self,
        *,
        secret_id: str,
        secret_key: str,
        sdk_app_id: str,
        sign_name: str,
        template_id: str,
        region: str = "ap-guangzhou",
        endpoint: str = "sms.tencentcloudapi.com",
        scheme: str = "https",
        timeout_s: int = 10,
    ) -> None:
        quiet_sdk_logs()
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client

        http = HttpProfile(protocol=scheme, endpoint=endpoint, reqTimeout=timeout_s)
        profile = ClientProfile(signMethod="TC3-HMAC-SHA256", httpProfile=http)
        self._client = sms_client.SmsClient(
            credential.Credential(secret_id, secret_key), region, profile
        )
        self.sdk_app_id = sdk_app_id
        self.sign_name = sign_name
        self.template_id = template_id

    def send_code(self, phone: str, code: str, minutes: int) -> None:
        from tencentcloud.sms.v20210111 import models

        request = models.SendSmsRequest()
        request.PhoneNumberSet = [phone]
        request.SmsSdkAppId = self.sdk_app_id
        request.SignName = self.sign_name
        request.TemplateId = self.template_id
        request.TemplateParamSet = [code, str(minutes)]
        try:
            response = self._client.SendSms(request)
        except Exception as exc:
            code_name = getattr(exc, "code", None) or type(exc).__name__
            raise SmsError(
                f"Tencent Cloud SMS refused or could not be reached ({code_name})"
            ) from None
        statuses = response.SendStatusSet or []
        if len(statuses) != 1 or statuses[0].Code != "Ok":
            raise SmsError(
                f"Tencent Cloud SMS refused the message ({statuses[0].Code if statuses else None})"
            )
