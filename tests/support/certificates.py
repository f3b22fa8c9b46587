"""Certificates for the tests: contexts of every kind signed with a fixed test key (for the
renderer), and what a scanner reads from an issued certificate (plain helpers)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from tests.support.app import csrf_token
from webapp.models import Certificate
from webapp.services.certificates.context import (
    CertificateContext,
    Details,
    EventDetails,
    OffsetDetails,
    PlotDetails,
)
from webapp.services.certificates.token import TokenClaims, encode_token, qr_text
from webapp.services.signing import Keyring, SigningKey

KEY = SigningKey.from_seed(hashlib.sha256(b"certificate-render-tests").digest())
KEYRING = Keyring(KEY)
BASE = "https://tanhui.example.cn"
PID = "7K3MPQ9XRT"
DAY = date(2025, 3, 15)
NAME = "欧阳明月"
DEDICATION = "愿你如树般成长"
KINDS = ("offset", "plot", "event")
LOCALES = ("zh", "en")


def serials(count: int) -> list[str]:
    return [f"TH-TA-CLS-2024-{i * 5000 + 1001:09d}-{i * 5000 + 3417:09d}" for i in range(count)]


def make_details(kind: str, **overrides: Any) -> Details:
    if kind == "offset":
        return OffsetDetails(
            **{
                "quantity_kg": 2417,
                "project_name_zh": "泰安徂徕山造林碳汇项目",
                "project_name_en": "Tai'an Culai Mountain Afforestation",
                "project_code": "TA-CLS-2024",
                "serial_ranges": serials(2),
                "purpose_zh": "2025年日常工作生活碳足迹",
                "purpose_en": "the 2025 daily work and life footprint",
                "delivery": "verified",
                **overrides,
            }
        )
    if kind == "plot":
        return PlotDetails(
            **{
                "site_name_zh": "泰山碳汇林纪念基地",
                "site_name_en": "Mount Tai Carbon Sink Memorial Forest",
                "plot_code": "CLS-JN-0042",
                "location_zh": "山东省泰安市岱岳区",
                "location_en": "Daiyue District, Tai'an, Shandong",
                "trees": 12,
                "area_mu": Decimal("1.50"),
                "species_zh": "侧柏",
                "species_en": "Chinese arborvitae",
                "dedication_kind_zh": "纪念树",
                "dedication_kind_en": "memorial tree",
                "dedication_message": DEDICATION,
                "projected_t_per_year": Decimal("0.35"),
                "projected_years": "2026–2055",
                **overrides,
            }
        )
    return EventDetails(
        **{
            "event_name": "2025 泰山生态论坛",
            "event_kind_zh": "学术会议",
            "event_kind_en": "academic conference",
            "event_dates": "2025-03-14 – 2025-03-15",
            "footprint_kg": 18_240,
            "retired_kg": 18_300,
            "serial_ranges": serials(9),
            "delivery": "projected",
            "expected_years": "2027–2031",
            "meeting": True,
            **overrides,
        }
    )


def make_context(
    kind: str, details: Details, *, locale: str = "zh", public_id: str = PID, **overrides: Any
) -> CertificateContext:
    value: dict[str, Any]
    if isinstance(details, PlotDetails):
        value = {"plot_code": details.plot_code}
    elif isinstance(details, OffsetDetails):
        value = {"quantity_kg": details.quantity_kg}
    else:
        value = {"quantity_kg": details.retired_kg}
    claims = TokenClaims(public_id=public_id, kind=kind, issued_on=DAY, **value)
    fields: dict[str, Any] = {
        "kind": kind,
        "public_id": public_id,
        "locale": locale,
        "holder_name": NAME,
        "issued_on": DAY,
        "qr_text": qr_text(BASE, public_id, encode_token(KEY, claims)),
        "verify_url": f"{BASE}/v/{public_id}",
        **overrides,
    }
    return CertificateContext(**fields)


def make(kind: str, locale: str = "zh", **ctx_overrides: Any) -> tuple[CertificateContext, Details]:
    details = make_details(kind)
    return make_context(kind, details, locale=locale, **ctx_overrides), details


def with_name(ctx: CertificateContext, name: str) -> CertificateContext:
    return replace(ctx, holder_name=name)


def scan_text(app, certificate: Certificate) -> str:
    return qr_text(app.config["BASE_URL"], certificate.public_id, certificate.token)


def revoke(client, public_id: str, reason: str | None, *, token: bool = True):
    data = {"confirmed": "1"} if reason is None else {"reason": reason, "confirmed": "1"}
    if token:
        data["csrf_token"] = csrf_token(client, "/admin/certificates/")
    return client.post(f"/admin/certificates/{public_id}/revoke", data=data)
