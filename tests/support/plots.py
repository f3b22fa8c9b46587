"""A memorial site (plain helpers)."""

from __future__ import annotations

import io

from PIL import Image

from webapp.extensions import db
from webapp.models import MemorialSite


def make_site(code: str = "CLS-JN") -> MemorialSite:
    site = MemorialSite(
        code=code,
        name_zh="徂徕山碳汇林纪念基地",
        name_en="Culai Mountain Memorial Forest",
        operator_zh="山东省徂徕山林场",
        operator_en="Culai Mountain State Forest Farm",
        province="CN-SD",
        county_zh="泰安市岱岳区",
        county_en="Daiyue District, Tai'an",
        planting_seasons_zh="春季、秋季",
        planting_seasons_en="Spring and autumn",
        visiting_zh="从泰安市区约 40 分钟。",
        visiting_en="About 40 minutes from Tai'an.",
        boundary=[[0, 0], [120, 0], [120, 80], [0, 80]],
    )
    db.session.add(site)
    db.session.flush()
    return site


def jpeg_with_gps() -> bytes:
    image = Image.effect_noise((320, 240), 40).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (36.0, 1.0, 40.0), 3: "E", 4: (117.0, 17.0, 45.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)
    return data
