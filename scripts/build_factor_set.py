"""Build the versioned footprint factor set (and its companion data files).

Usage (from the repository root)::

    python scripts/build_factor_set.py [PATH_TO_factors.json] [--check]
    /tmp/airports-venv/bin/python scripts/build_factor_set.py --airports

The first form reads the reference compilation (default
``../shared/reference/factors.json``) and writes

* ``webapp/data/factors/cn-2026.1.json`` - the factors the calculators use, plus every
  ``forest.*`` and ``price.*`` entry, with values as decimal strings, and the ``roles``
  table that tells the engine which factor id plays which part;
* ``webapp/data/provinces.json`` - the 31 mainland provincial divisions with the
  electricity factor chosen for each by the rule in ``electricity_factor_id``.

``--check`` writes nothing and exits 1 if the files on disk differ from what would be
written.  ``--airports`` rebuilds ``webapp/data/airports.json`` and needs the PyPI package
``airportsdata`` (build time only; the application never imports it).  Only the standard
library is needed otherwise.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "webapp" / "data"
DEFAULT_REFERENCE = ROOT.parent / "shared" / "reference" / "factors.json"

VERSION = "cn-2026.1"
PUBLISHED = "2026-11-21"
DESCRIPTION = (
    "Tanhui China household and event footprint factors, selected from Tanhui's reference "
    "compilation of public sources (compiled 2026-11). Electricity: MEE/NBS "
    "average CO2 series, latest year at the most local level published. Transport, hotel, "
    "materials and waste: UK DESNZ 2024 where no Chinese figure was verified. Diet: "
    "Scarborough et al. 2014. Values are decimal strings; units as published."
)

# (ISO 3166-2:CN, slug used in factor ids, Chinese name, English name, grid region)
# Grid regions follow the seven regional grids of the MEE/NBS electricity announcements.
PROVINCES: tuple[tuple[str, str, str, str, str], ...] = (
    ("CN-BJ", "beijing", "北京市", "Beijing", "north"),
    ("CN-TJ", "tianjin", "天津市", "Tianjin", "north"),
    ("CN-HE", "hebei", "河北省", "Hebei", "north"),
    ("CN-SX", "shanxi", "山西省", "Shanxi", "north"),
    ("CN-NM", "neimenggu", "内蒙古自治区", "Inner Mongolia", "north"),
    ("CN-LN", "liaoning", "辽宁省", "Liaoning", "northeast"),
    ("CN-JL", "jilin", "吉林省", "Jilin", "northeast"),
    ("CN-HL", "heilongjiang", "黑龙江省", "Heilongjiang", "northeast"),
    ("CN-SH", "shanghai", "上海市", "Shanghai", "east"),
    ("CN-JS", "jiangsu", "江苏省", "Jiangsu", "east"),
    ("CN-ZJ", "zhejiang", "浙江省", "Zhejiang", "east"),
    ("CN-AH", "anhui", "安徽省", "Anhui", "east"),
    ("CN-FJ", "fujian", "福建省", "Fujian", "east"),
    ("CN-JX", "jiangxi", "江西省", "Jiangxi", "central"),
    ("CN-SD", "shandong", "山东省", "Shandong", "north"),
    ("CN-HA", "henan", "河南省", "Henan", "central"),
    ("CN-HB", "hubei", "湖北省", "Hubei", "central"),
    ("CN-HN", "hunan", "湖南省", "Hunan", "central"),
    ("CN-GD", "guangdong", "广东省", "Guangdong", "south"),
    ("CN-GX", "guangxi", "广西壮族自治区", "Guangxi", "south"),
    ("CN-HI", "hainan", "海南省", "Hainan", "south"),
    ("CN-CQ", "chongqing", "重庆市", "Chongqing", "southwest"),
    ("CN-SC", "sichuan", "四川省", "Sichuan", "southwest"),
    ("CN-GZ", "guizhou", "贵州省", "Guizhou", "south"),
    ("CN-YN", "yunnan", "云南省", "Yunnan", "south"),
    ("CN-XZ", "xizang", "西藏自治区", "Xizang (Tibet)", "southwest"),
    ("CN-SN", "shaanxi", "陕西省", "Shaanxi", "northwest"),
    ("CN-GS", "gansu", "甘肃省", "Gansu", "northwest"),
    ("CN-QH", "qinghai", "青海省", "Qinghai", "northwest"),
    ("CN-NX", "ningxia", "宁夏回族自治区", "Ningxia", "northwest"),
    ("CN-XJ", "xinjiang", "新疆维吾尔自治区", "Xinjiang", "northwest"),
)
GRID_REGIONS = {
    "north": ("华北", "North China"),
    "northeast": ("东北", "Northeast China"),
    "east": ("华东", "East China"),
    "central": ("华中", "Central China"),
    "northwest": ("西北", "Northwest China"),
    "south": ("南方", "China Southern"),
    "southwest": ("西南", "Southwest China"),
}

# Role -> factor id.  The engine only ever asks for roles, so a later factor set can
# swap a factor (e.g. DESNZ 2025) without a code change, and a stored result names both.
ROLES: dict[str, str] = {
    "heat.per_gj": "cn.heat.default",
    "heat.gj_per_m2_year": "assume.heat.gj_per_m2_year",
    "fuel.natural_gas_m3": "cn.fuel.natural_gas",
    "fuel.lpg_kg": "cn.fuel.lpg",
    "fuel.diesel_litre": "cn.fuel.diesel_litre",
    "car.petrol": "uk.car.avg.petrol.2024",
    "car.diesel": "uk.car.avg.diesel.2024",
    "car.hybrid": "uk.car.avg.hybrid.2024",
    "car.electric_kwh_per_100km": "assume.ev.kwh_per_100km",
    "taxi": "uk.taxi.regular.2024",
    "bus": "uk.bus.avg_local.2024",
    "metro": "uk.rail.light_rail_tram.2024",
    "rail": "uk.rail.national.2024",
    "high_speed_rail": "cn.rail.hsr.full_2019",
    "coach": "uk.bus.coach.2024",
    "hotel.room_night": "hotel.china.room_night.2024",
    "meal.meat": "event.meal.medium_meat",
    "meal.vegetarian": "event.meal.vegetarian",
    "material.paper": "material.paper.primary.2024",
    "waste.residual": "waste.household_residual.landfill.2024",
    "benchmark.per_capita": "cn.percapita.energy_co2.2023",
}
for _diet in ("high_meat", "medium_meat", "low_meat", "pescatarian", "vegetarian", "vegan"):
    ROLES[f"diet.{_diet}"] = f"diet.{_diet}.per_day"
for _band in ("short_haul", "long_haul"):
    for _cabin, _key in (("average", "avg"), ("economy", "economy"), ("business", "business")):
        for _rf in ("with_rf", "without_rf"):
            ROLES[f"flight.{_band}.{_cabin}.{_rf}"] = f"uk.air.{_band}.{_key}.{_rf}.2024"

# Factors that a calculator does not read directly but that the shipped figures were
# derived from (kept so an auditor can follow the derivation inside one file).
BASIS_IDS = ("cn.fuel.diesel_mass", "assume.density.diesel")
EXTRA_PREFIXES = ("forest.", "price.")

ASSUMPTION_CITATION = "Tanhui assumption (no published figure found)"

# Assumptions with no sourced value in the reference compilation.  They are shipped as
# UNVERIFIED under ``assume.`` ids and flagged in docs/METHODOLOGY.md.
ASSUMPTIONS: tuple[dict[str, Any], ...] = (
    {
        "id": "assume.heat.gj_per_m2_year",
        "quantity": "Assumed district-heating delivery per m2 of heated floor area per year "
        "(used only when a household gives heated_area_m2 instead of heat_gj)",
        "value": "0.4",
        "unit": "GJ/m2/yr",
        "source": "assumption (Tanhui); no sourced value in the reference compilation",
        "year": None,
        "url": None,
        "verification": "UNVERIFIED",
        "notes": "Order-of-magnitude assumption for northern Chinese urban housing. Replace "
        "with the local heating company's figure or a standard (e.g. GB/T 51161 heating "
        "energy indicators) before relying on area-based results. Prefer heat_gj from the bill.",
    },
    {
        "id": "assume.ev.kwh_per_100km",
        "quantity": "Assumed battery-electric car consumption, kWh per 100 km",
        "value": "15",
        "unit": "kWh/100km",
        "source": "assumption (Tanhui), the worked example in reference entry "
        "cn.car.per_km_formula ('15 kWh/100km x 0.5306 = 0.0796')",
        "year": None,
        "url": None,
        "verification": "UNVERIFIED",
        "notes": "The reference gives 15 kWh/100 km only as an illustration. Charging losses "
        "are not included. Replace with a sourced fleet average before production use.",
    },
)


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    if Decimal(text) != value:  # pragma: no cover - format(f) is exact for finite values
        raise ValueError(f"cannot render {value!r} exactly")
    return text


DERIVED = "derived from "


def _basis_ids(text: str) -> list[str]:
    """The factor ids named by a ``derived from A and B`` citation."""
    return text.removeprefix(DERIVED).replace(" and ", " ").split()


def cite(reference: dict[str, dict[str, Any]], fid: str) -> str:
    """The citation a reader sees for ``fid``.

    A derived figure's reference citation names only factor ids ("derived from A and B"),
    which a reader cannot look up; it is expanded to name the publication behind each basis
    factor, recursively, so every derived figure cites what it derives from."""
    entry = reference[fid]
    text = (entry.get("citation") or "").strip()
    if not text:
        raise SystemExit(f"{fid} has no citation in the reference")
    if not text.startswith(DERIVED):
        return text
    parts = [f"{basis} ({cite(reference, basis)})" for basis in _basis_ids(text)]
    return "Derived from " + " and ".join(parts)


def _convert(entry: dict[str, Any], citation: str) -> dict[str, Any]:
    """Reference entry -> factor-set entry (values as decimal strings)."""
    raw = entry["value"]
    out: dict[str, Any] = {"id": entry["id"], "quantity": entry["quantity"]}
    if isinstance(raw, Decimal):
        out["value"] = _plain(raw)
    elif raw is None:
        out["value"] = None
    elif isinstance(raw, list):
        out["value"] = None
        out["range"] = [_plain(Decimal(v)) for v in raw]
    elif isinstance(raw, dict):
        out["value"] = None
        out["params"] = {k: _plain(Decimal(v)) for k, v in raw.items()}
    else:
        raise TypeError(f"{entry['id']}: unsupported value {raw!r}")
    url = (entry.get("url_or_repo") or "").strip()
    out.update(
        unit=entry["unit"],
        source=entry["source"],
        year=int(entry["year"]) if entry.get("year") is not None else None,
        url=None if url in ("", "—", "-") else url,
        verification=entry["verification"],
        notes=entry.get("notes") or "",
        citation=citation,
        provenance=(entry.get("provenance") or entry["source"]).strip(),
    )
    return out


def load_reference(path: Path) -> dict[str, dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh, parse_float=Decimal, parse_int=Decimal)
    return {f["id"]: f for f in data["factors"]}


def electricity_assignment(reference: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Province code -> factor id: MEE/NBS average series, latest year published at the
    most local level (provincial, else regional grid, else national)."""

    def latest(prefix: str) -> str | None:
        years = [
            int(fid[len(prefix) :])
            for fid, f in reference.items()
            if fid.startswith(prefix) and fid[len(prefix) :].isdigit() and f["value"] is not None
        ]
        return f"{prefix}{max(years)}" if years else None

    chosen = {}
    for code, slug, _zh, _en, region in PROVINCES:
        fid = (
            latest(f"cn.grid.province.{slug}.")
            or latest(f"cn.grid.region.{region}.")
            or latest("cn.grid.national_avg.")
        )
        if fid is None:
            raise SystemExit(f"no electricity factor for {code}")
        chosen[code] = fid
    return chosen


def build(reference: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    electricity = electricity_assignment(reference)
    roles = dict(ROLES)
    for code, fid in electricity.items():
        roles[f"electricity.{code}"] = fid
    assumed = {a["id"]: a for a in ASSUMPTIONS}
    wanted = set(roles.values()) | set(BASIS_IDS)
    wanted |= {fid for fid in reference if fid.startswith(EXTRA_PREFIXES)}
    missing = sorted(fid for fid in wanted if fid not in reference and fid not in assumed)
    if missing:
        raise SystemExit(f"factors missing from the reference: {missing}")
    factors = [_convert(f, cite(reference, fid)) for fid, f in reference.items() if fid in wanted]
    for fid, a in assumed.items():
        if fid in wanted and fid not in reference:
            # An assumption's provenance is its reasoning: where the figure comes from.
            factors.append(
                dict(a, citation=ASSUMPTION_CITATION, provenance=f"{a['source']}. {a['notes']}")
            )
    for f in factors:
        if f["id"] in roles.values() and f["value"] is None:
            raise SystemExit(f"{f['id']} is used by a calculator but has no value")
    factor_set = {
        "version": VERSION,
        "published": PUBLISHED,
        "description": DESCRIPTION,
        "roles": dict(sorted(roles.items())),
        "factors": factors,
    }
    provinces = {
        "factor_set": VERSION,
        "grid_regions": {
            key: {"name_zh": zh, "name_en": en} for key, (zh, en) in GRID_REGIONS.items()
        },
        "provinces": [
            {
                "code": code,
                "slug": slug,
                "name_zh": zh,
                "name_en": en,
                "grid_region": region,
                "electricity_factor_id": electricity[code],
            }
            for code, slug, zh, en, region in PROVINCES
        ],
    }
    return factor_set, provinces


def dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2) + "\n"


def write_or_check(path: Path, text: str, check: bool) -> bool:
    current = path.read_text(encoding="utf-8") if path.exists() else None
    if current == text:
        return True
    if check:
        sys.stderr.write(f"out of date: {path.relative_to(ROOT)}\n")
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {path.relative_to(ROOT)}\n")
    return True


# --------------------------------------------------------------------------- airports
# Coordinates and English names come only from the PyPI package ``airportsdata`` (MIT).
# Chinese names are added only where the name is well established; otherwise omitted.
_HUBS = (
    "HKG MFM TPE TSA KHH NRT HND KIX NGO FUK CTS ICN GMP PUS SIN BKK DMK HKT KUL CGK DPS MNL "
    "SGN HAN VTE RGN DAC KTM DEL BOM BLR CMB MLE UBN ALA TAS NQZ DXB AUH DOH RUH JED IST TLV "
    "LHR CDG FRA MUC AMS MAD BCN FCO MXP ZRH VIE CPH ARN HEL OSL DUB LIS ATH PRG WAW BUD SVO "
    "LED VVO KHV CAI ADD NBO JNB LOS CMN JFK EWR LAX SFO SEA ORD ATL DFW IAH BOS IAD YVR YYZ "
    "YUL MEX GRU EZE SCL LIM BOG PTY SYD MEL BNE PER AKL"
)
HUBS = tuple(_HUBS.split())
# Entries of the package that are left out, and why.
EXCLUDED = {
    "NAY": "Beijing Nanyuan closed to civil traffic in 2019 (replaced by PKX)",
    "ULN": "Buyant-Ukhaa replaced by UBN for scheduled service in 2021",
    "BRU": "coordinates in this package version are ~40 km from Brussels Airport",
    "SZV": "Suzhou Guangfu is a military airfield without scheduled flights "
    "(Suzhou is served by WUX, Sunan Shuofang)",
}
EXCLUDED_WORDS = ("Air Base", "under construction")
# Entries kept but whose coordinates look stale in this package version (an airport moved
# and the IATA code was transferred).  Kept so that users can still pick them; listed in
# airports.json "caveats" so an auditor sees the possible distance error.
CAVEATS = {
    "KMG": "package name/coordinates appear to be the old Wujiaba site; Changshui is ~25 km NE",
    "SWA": "coordinates appear to be the old Waisha site; Jieyang Chaoshan is ~30 km W",
    "ZHA": "coordinates appear to be the old Zhanjiang site; Wuchuan airport is ~35 km NE",
    "LZO": "coordinates appear to be the old Lantian site; Luzhou Yunlong is ~20 km N",
    "ENY": "coordinates appear to be the old Ershilipu site; Yan'an Nanniwan is ~20 km SW",
    "PKX": "coordinates are given to only 0.1 degree (~1 km) in this package version",
}
NAMES_ZH = """
PEK 北京首都国际机场|PKX 北京大兴国际机场|PVG 上海浦东国际机场|SHA 上海虹桥国际机场
CAN 广州白云国际机场|SZX 深圳宝安国际机场|CTU 成都双流国际机场|TFU 成都天府国际机场
CKG 重庆江北国际机场|KMG 昆明长水国际机场|XIY 西安咸阳国际机场|HGH 杭州萧山国际机场
NKG 南京禄口国际机场|WUH 武汉天河国际机场|CSX 长沙黄花国际机场|CGO 郑州新郑国际机场
XMN 厦门高崎国际机场|TAO 青岛胶东国际机场|HAK 海口美兰国际机场|SYX 三亚凤凰国际机场
URC 乌鲁木齐地窝堡国际机场|KWE 贵阳龙洞堡国际机场|TSN 天津滨海国际机场
HRB 哈尔滨太平国际机场|SHE 沈阳桃仙国际机场|DLC 大连周水子国际机场|CGQ 长春龙嘉国际机场
TNA 济南遥墙国际机场|FOC 福州长乐国际机场|NNG 南宁吴圩国际机场|KWL 桂林两江国际机场
LHW 兰州中川国际机场|HET 呼和浩特白塔国际机场|TYN 太原武宿国际机场|SJW 石家庄正定国际机场
HFE 合肥新桥国际机场|KHN 南昌昌北国际机场|NGB 宁波栎社国际机场|WNZ 温州龙湾国际机场
INC 银川河东国际机场|XNN 西宁曹家堡国际机场|LXA 拉萨贡嘎国际机场|JJN 泉州晋江国际机场
WUX 苏南硕放国际机场|ZUH 珠海金湾机场|LJG 丽江三义国际机场|JHG 西双版纳嘎洒国际机场
YNT 烟台蓬莱国际机场|XUZ 徐州观音国际机场|CZX 常州奔牛国际机场|NTG 南通兴东国际机场
YTY 扬州泰州国际机场|YNZ 盐城南洋国际机场|HIA 淮安涟水国际机场|BHY 北海福成机场
LZH 柳州白莲机场|YIH 宜昌三峡机场|DYG 张家界荷花国际机场|LYA 洛阳北郊机场
HLD 海拉尔东山国际机场|DSN 鄂尔多斯伊金霍洛国际机场|MDG 牡丹江海浪国际机场
YNJ 延吉朝阳川国际机场|DNH 敦煌机场|MIG 绵阳南郊机场|NAO 南充高坪机场|XIC 西昌青山机场
JZH 九寨黄龙机场|WXN 万州五桥机场|TXN 黄山屯溪国际机场|JDZ 景德镇罗家机场
KOW 赣州黄金机场|WUS 武夷山机场|HSN 舟山普陀山机场|YIW 义乌机场|ZYI 遵义新舟机场
WMT 遵义茅台机场|TEN 铜仁凤凰机场|DIG 迪庆香格里拉机场|LZY 林芝米林机场
UYN 榆林榆阳机场|HZG 汉中城固机场|WDS 十堰武当山机场|DOY 东营胜利机场
NZH 满洲里西郊国际机场|EHU 鄂州花湖机场|NBS 长白山机场|DDG 丹东浪头国际机场
HKG 香港国际机场|MFM 澳门国际机场|NRT 东京成田国际机场|HND 东京羽田机场
KIX 大阪关西国际机场|ICN 首尔仁川国际机场|GMP 首尔金浦国际机场|SIN 新加坡樟宜机场
BKK 曼谷素万那普机场|DMK 曼谷廊曼国际机场|KUL 吉隆坡国际机场|DXB 迪拜国际机场
AUH 阿布扎比国际机场|DOH 多哈哈马德国际机场|IST 伊斯坦布尔机场|LHR 伦敦希思罗机场
CDG 巴黎戴高乐机场|FRA 法兰克福机场|MUC 慕尼黑机场|AMS 阿姆斯特丹史基浦机场
ZRH 苏黎世机场|VIE 维也纳国际机场|CPH 哥本哈根机场|HEL 赫尔辛基万塔机场
SVO 莫斯科谢列梅捷沃国际机场|JFK 纽约肯尼迪国际机场|LAX 洛杉矶国际机场
SFO 旧金山国际机场|SEA 西雅图塔科马国际机场|ORD 芝加哥奥黑尔国际机场
YVR 温哥华国际机场|YYZ 多伦多皮尔逊国际机场|SYD 悉尼机场|MEL 墨尔本机场|AKL 奥克兰机场
"""


# --------------------------------------------------------------------------- airport corrections
# The package's text is kept where it is right; these fix what is damaged or wrong in it (a
# lost "ü", a blank or wrong city, a stale name after an IATA code moved to a new airport).
# Every correction is checked by tests/unit/footprint/test_airports_data.py.
NAME_EN_FIXES = {
    "BPL": "Bole Alashankou Airport",
    "DYG": "Zhangjiajie Hehua International Airport",
    "HYN": "Taizhou Luqiao Airport",
    "KMG": "Kunming Changshui International Airport",
    "LLV": "Lüliang Dawu Airport",
    "OHE": "Mohe Gulian Airport",
    "SJW": "Shijiazhuang Zhengding International Airport",
    "SQD": "Shangrao Sanqingshan Airport",
    "SWA": "Jieyang Chaoshan International Airport",
    "TAO": "Qingdao Jiaodong International Airport",
    "TFU": "Chengdu Tianfu International Airport",
    "WNZ": "Wenzhou Longwan International Airport",
    "WXN": "Wanzhou Wuqiao Airport",
    "XFN": "Xiangyang Liuji Airport",
    "YBP": "Yibin Wuliangye Airport",
    "YNT": "Yantai Penglai International Airport",
    "YZY": "Zhangye Ganzhou Airport",
}
# The city a traveller names for the airport (the package sometimes gives a district, a
# county town, an old name or nothing).
CITY_FIXES = {
    "AXF": "Alxa Left Banner",
    "BPX": "Qamdo",
    "BSD": "Baoshan",
    "DCY": "Daocheng",
    "DDR": "Tingri",
    "DLU": "Dali",
    "DQA": "Daqing",
    "DYG": "Zhangjiajie",
    "EJN": "Ejin Banner",
    "HYN": "Taizhou",
    "HZH": "Liping",
    "JIQ": "Qianjiang",
    "KWL": "Guilin",
    "LLB": "Libo",
    "LLV": "Lüliang",
    "LUM": "Mangshi",
    "MXZ": "Meizhou",
    "NGQ": "Ngari",
    "RHT": "Alxa Right Banner",
    "SHS": "Jingzhou",
    "SYM": "Pu'er",
    "TEN": "Tongren",
    "TFU": "Chengdu",
    "WMT": "Renhuai",
    "WXN": "Wanzhou",
    "XFN": "Xiangyang",
    "XIY": "Xi'an",
    "CTS": "Sapporo",
    "DPS": "Bali",
    "EZE": "Buenos Aires",
    "FRA": "Frankfurt",
    "IST": "Istanbul",
    "KHH": "Kaohsiung",
    "MFM": "Macau",
    "NGO": "Nagoya",
    "PTY": "Panama City",
    "TSA": "Taipei",
    "YUL": "Montreal",
    "YVR": "Vancouver",
    "YYZ": "Toronto",
}
# Chinese names of the airports of mainland China (民航 usage) that NAMES_ZH lacks.
MORE_NAMES_ZH = """
ACF 阿拉尔塔里木机场|ACX 兴义万峰林机场|AHJ 阿坝红原机场|AKA 安康富强机场|AKU 阿克苏红旗坡机场
APJ 阿里普兰机场|AQG 安庆天柱山机场|AVA 安顺黄果树机场|AXF 阿拉善左旗巴彦浩特机场
AYN 安阳红旗渠机场|BAR 琼海博鳌机场|BAV 包头东河机场|BFJ 毕节飞雄机场|BFU 蚌埠滕湖机场
BPE 秦皇岛北戴河国际机场|BPL 博乐阿拉山口机场|BPX 昌都邦达机场|BSD 保山云端机场|BZX 巴中恩阳机场
CDE 承德普宁机场|CGD 常德桃花源机场|CHG 朝阳机场|CIF 赤峰玉龙机场|CIH 长治王村机场
CNI 长海大长山岛机场|CQW 重庆仙女山机场|DAT 大同云冈机场|DCY 稻城亚丁机场|DDR 日喀则定日机场
DHH 巴里坤大河机场|DLU 大理荒草坝机场|DQA 大庆萨尔图机场|DXJ 湘西边城机场|DZH 达州金垭机场
EJN 额济纳旗桃来机场|ENH 恩施许家坪机场|ENY 延安南泥湾机场|ERL 二连浩特赛乌素国际机场
FUG 阜阳西关机场|FUO 佛山沙堤机场|GOQ 格尔木机场|GXH 甘南夏河机场|GYS 广元盘龙机场
GYU 固原六盘山机场|GZG 甘孜格萨尔机场|HBQ 海北祁连机场|HCZ 郴州北湖机场|HDG 邯郸机场
HEK 黑河瑷珲机场|HJJ 怀化芷江机场|HLH 乌兰浩特义勒力特机场|HMI 哈密机场|HNI 河池金城江机场
HNY 衡阳南岳机场|HQL 塔什库尔干红其拉甫机场|HSC 韶关丹霞机场|HTN 和田机场|HUO 霍林郭勒霍林河机场
HUZ 惠州平潭机场|HXD 德令哈机场|HYN 台州路桥机场|HZA 菏泽牡丹机场|HZH 黎平机场|IQM 且末玉都机场
IQN 庆阳西峰机场|JBK 奇台江布拉克机场|JGN 嘉峪关机场|JGS 井冈山机场|JIC 金昌金川机场
JIL 吉林二台子机场|JIQ 黔江武陵山机场|JIU 九江庐山机场|JMU 佳木斯东郊机场|JNG 济宁大安机场
JNH 嘉兴南湖机场|JNZ 锦州湾机场|JUZ 衢州机场|JXA 鸡西兴凯湖机场|KCA 库车龟兹机场|KGT 康定机场
KHG 喀什机场|KJH 凯里黄平机场|KRL 库尔勒梨城机场|KRY 克拉玛依古海机场|LCX 龙岩冠豸山机场
LDS 伊春林都机场|LFQ 临汾尧都机场|LIA 梁平机场|LLB 荔波机场|LLF 永州零陵机场|LLV 吕梁大武机场
LNJ 临沧博尚机场|LNL 陇南成州机场|LPF 六盘水月照机场|LUM 德宏芒市机场|LYG 连云港花果山国际机场
LYI 临沂启阳国际机场|LZG 阆中古城机场|LZO 泸州云龙机场|MXZ 梅州梅县机场|NDG 齐齐哈尔三家子机场
NGQ 阿里昆莎机场|NNY 南阳姜营机场|NZL 扎兰屯成吉思汗机场|OHE 漠河古莲机场|PZI 攀枝花保安营机场
QSZ 莎车叶尔羌机场|RHT 阿拉善右旗巴丹吉林机场|RLK 巴彦淖尔天吉泰机场|RQA 若羌楼兰机场
SHS 荆州沙市机场|SQD 上饶三清山机场|SQJ 三明沙县机场|SWA 揭阳潮汕国际机场|SXJ 鄯善机场
SYM 普洱思茅机场|SZH 朔州滋润机场|TCG 塔城千泉机场|TCZ 腾冲驼峰机场|TGO 通辽机场
THQ 天水麦积山机场|TLQ 吐鲁番交河机场|TNH 通化三源浦机场|TVS 唐山三女河机场
TWC 图木舒克唐王城机场|UCB 乌兰察布集宁机场|WEF 潍坊南苑机场|WEH 威海大水泊国际机场
WHA 芜湖宣州机场|WSK 重庆巫山机场|WUA 乌海机场|WUZ 梧州西江机场|XAI 信阳明港机场
XFN 襄阳刘集机场|XIL 锡林浩特机场|XIN 兴宁机场|YBP 宜宾五粮液机场|YCU 运城关公机场
YHJ 南昌瑶湖机场|YIE 阿尔山伊尔施机场|YIN 伊宁机场|YKH 营口兰旗机场|YLX 玉林福绵机场
YSQ 松原查干湖机场|YTW 于田万方机场|YUS 玉树巴塘机场|YYA 岳阳三荷机场|YZY 张掖甘州机场
ZAT 昭通机场|ZFL 昭苏天马机场|ZHA 湛江吴川国际机场|ZHY 中卫沙坡头机场
"""
# The city in Chinese, for every airport: what a reader types (杭州) and reads.
CITY_ZH = """
ACF 阿拉尔|ACX 兴义|AHJ 红原|AKA 安康|AKU 阿克苏|APJ 普兰|AQG 安庆|AVA 安顺|AXF 阿拉善左旗
AYN 安阳|BAR 琼海|BAV 包头|BFJ 毕节|BFU 蚌埠|BHY 北海|BPE 秦皇岛|BPL 博乐|BPX 昌都|BSD 保山
BZX 巴中|CAN 广州|CDE 承德|CGD 常德|CGO 郑州|CGQ 长春|CHG 朝阳|CIF 赤峰|CIH 长治|CKG 重庆
CNI 长海|CQW 武隆|CSX 长沙|CTU 成都|CZX 常州|DAT 大同|DCY 稻城|DDG 丹东|DDR 定日|DHH 巴里坤
DIG 香格里拉|DLC 大连|DLU 大理|DNH 敦煌|DOY 东营|DQA 大庆|DSN 鄂尔多斯|DXJ 湘西|DYG 张家界
DZH 达州|EHU 鄂州|EJN 额济纳旗|ENH 恩施|ENY 延安|ERL 二连浩特|FOC 福州|FUG 阜阳|FUO 佛山
GOQ 格尔木|GXH 夏河|GYS 广元|GYU 固原|GZG 甘孜|HAK 海口|HBQ 海北|HCZ 郴州|HDG 邯郸|HEK 黑河
HET 呼和浩特|HFE 合肥|HGH 杭州|HIA 淮安|HJJ 怀化|HLD 海拉尔|HLH 乌兰浩特|HMI 哈密|HNI 河池
HNY 衡阳|HQL 塔什库尔干|HRB 哈尔滨|HSC 韶关|HSN 舟山|HTN 和田|HUO 霍林郭勒|HUZ 惠州|HXD 德令哈
HYN 台州|HZA 菏泽|HZG 汉中|HZH 黎平|INC 银川|IQM 且末|IQN 庆阳|JBK 奇台|JDZ 景德镇|JGN 嘉峪关
JGS 吉安|JHG 景洪|JIC 金昌|JIL 吉林|JIQ 黔江|JIU 九江|JJN 泉州|JMU 佳木斯|JNG 济宁|JNH 嘉兴
JNZ 锦州|JUZ 衢州|JXA 鸡西|JZH 九寨沟|KCA 库车|KGT 康定|KHG 喀什|KHN 南昌|KJH 凯里|KMG 昆明
KOW 赣州|KRL 库尔勒|KRY 克拉玛依|KWE 贵阳|KWL 桂林|LCX 龙岩|LDS 伊春|LFQ 临汾|LHW 兰州|LIA 梁平
LJG 丽江|LLB 荔波|LLF 永州|LLV 吕梁|LNJ 临沧|LNL 陇南|LPF 六盘水|LUM 芒市|LXA 拉萨|LYA 洛阳
LYG 连云港|LYI 临沂|LZG 阆中|LZH 柳州|LZO 泸州|LZY 林芝|MDG 牡丹江|MIG 绵阳|MXZ 梅州|NAO 南充
NBS 白山|NDG 齐齐哈尔|NGB 宁波|NGQ 阿里|NKG 南京|NNG 南宁|NNY 南阳|NTG 南通|NZH 满洲里
NZL 扎兰屯|OHE 漠河|PEK 北京|PKX 北京|PVG 上海|PZI 攀枝花|QSZ 莎车|RHT 阿拉善右旗|RLK 巴彦淖尔
RQA 若羌|SHA 上海|SHE 沈阳|SHS 荆州|SJW 石家庄|SQD 上饶|SQJ 三明|SWA 汕头|SXJ 鄯善|SYM 普洱
SYX 三亚|SZH 朔州|SZX 深圳|TAO 青岛|TCG 塔城|TCZ 腾冲|TEN 铜仁|TFU 成都|TGO 通辽|THQ 天水
TLQ 吐鲁番|TNA 济南|TNH 通化|TSN 天津|TVS 唐山|TWC 图木舒克|TXN 黄山|TYN 太原|UCB 乌兰察布
URC 乌鲁木齐|UYN 榆林|WDS 十堰|WEF 潍坊|WEH 威海|WHA 芜湖|WMT 仁怀|WNZ 温州|WSK 巫山|WUA 乌海
WUH 武汉|WUS 武夷山|WUX 无锡|WUZ 梧州|WXN 万州|XAI 信阳|XFN 襄阳|XIC 西昌|XIL 锡林浩特|XIN 兴宁
XIY 西安|XMN 厦门|XNN 西宁|XUZ 徐州|YBP 宜宾|YCU 运城|YHJ 南昌|YIE 阿尔山|YIH 宜昌|YIN 伊宁
YIW 义乌|YKH 营口|YLX 玉林|YNJ 延吉|YNT 烟台|YNZ 盐城|YSQ 松原|YTW 于田|YTY 扬州|YUS 玉树
YYA 岳阳|YZY 张掖|ZAT 昭通|ZFL 昭苏|ZHA 湛江|ZHY 中卫|ZUH 珠海|ZYI 遵义|ADD 亚的斯亚贝巴
AKL 奥克兰|ALA 阿拉木图|AMS 阿姆斯特丹|ARN 斯德哥尔摩|ATH 雅典|ATL 亚特兰大|AUH 阿布扎比
BCN 巴塞罗那|BKK 曼谷|BLR 班加罗尔|BNE 布里斯班|BOG 波哥大|BOM 孟买|BOS 波士顿|BUD 布达佩斯
CAI 开罗|CDG 巴黎|CGK 雅加达|CMB 科伦坡|CMN 卡萨布兰卡|CPH 哥本哈根|CTS 札幌|DAC 达卡|DEL 新德里
DFW 达拉斯|DMK 曼谷|DOH 多哈|DPS 巴厘岛|DUB 都柏林|DXB 迪拜|EWR 纽瓦克|EZE 布宜诺斯艾利斯
FCO 罗马|FRA 法兰克福|FUK 福冈|GMP 首尔|GRU 圣保罗|HAN 河内|HEL 赫尔辛基|HKG 香港|HKT 普吉
HND 东京|IAD 华盛顿|IAH 休斯敦|ICN 首尔|IST 伊斯坦布尔|JED 吉达|JFK 纽约|JNB 约翰内斯堡|KHH 高雄
KHV 哈巴罗夫斯克|KIX 大阪|KTM 加德满都|KUL 吉隆坡|LAX 洛杉矶|LED 圣彼得堡|LHR 伦敦|LIM 利马
LIS 里斯本|LOS 拉各斯|MAD 马德里|MEL 墨尔本|MEX 墨西哥城|MFM 澳门|MLE 马累|MNL 马尼拉|MUC 慕尼黑
MXP 米兰|NBO 内罗毕|NGO 名古屋|NQZ 阿斯塔纳|NRT 东京|ORD 芝加哥|OSL 奥斯陆|PER 珀斯|PRG 布拉格
PTY 巴拿马城|PUS 釜山|RGN 仰光|RUH 利雅得|SCL 圣地亚哥|SEA 西雅图|SFO 旧金山|SGN 胡志明市
SIN 新加坡|SVO 莫斯科|SYD 悉尼|TAS 塔什干|TLV 特拉维夫|TPE 台北|TSA 台北|UBN 乌兰巴托|VIE 维也纳
VTE 万象|VVO 符拉迪沃斯托克|WAW 华沙|YUL 蒙特利尔|YVR 温哥华|YYZ 多伦多|ZRH 苏黎世
"""


def _table(text: str) -> dict[str, str]:
    return dict(item.split(" ", 1) for item in text.replace("\n", "|").split("|") if item)


def corrected(item: dict[str, Any]) -> dict[str, Any]:
    """One airport entry with the corrections above: English name and city fixed, the
    Chinese name and city added, fields in a stable order."""
    iata = item["iata"]
    names_zh = {**_table(NAMES_ZH), **_table(MORE_NAMES_ZH)}
    cities_zh = _table(CITY_ZH)
    out: dict[str, Any] = {"iata": iata}
    if iata in names_zh:
        out["name_zh"] = names_zh[iata]
    out["name_en"] = " ".join(NAME_EN_FIXES.get(iata, item["name_en"]).split())
    out["city"] = CITY_FIXES.get(iata, item["city"]).strip()
    if iata in cities_zh:
        out["city_zh"] = cities_zh[iata]
    for key in ("country", "lat", "lon"):
        out[key] = item[key]
    return out


def build_airports() -> dict[str, Any]:
    """All mainland-China IATA airports of ``airportsdata`` (less closed fields, air bases
    and sites under construction) plus the international hubs in HUBS."""
    from importlib import metadata

    import airportsdata  # build-time dependency only

    csv_path = Path(airportsdata.__file__).with_name("airports.csv")
    with csv_path.open(encoding="utf-8", newline="") as fh:
        rows = {r["iata"]: r for r in csv.DictReader(fh) if r["iata"]}
    selected = []
    for iata, row in sorted(rows.items()):
        mainland = row["country"] == "CN"
        if not (mainland or iata in HUBS) or iata in EXCLUDED:
            continue
        if mainland and (
            row["icao"].startswith("_") or any(w in row["name"] for w in EXCLUDED_WORDS)
        ):
            continue
        lat, lon = Decimal(row["lat"]), Decimal(row["lon"])
        if Decimal(repr(float(lat))) != lat or Decimal(repr(float(lon))) != lon:
            raise SystemExit(f"{iata}: coordinates do not survive JSON round trip")
        item: dict[str, Any] = {
            "iata": iata,
            "name_en": row["name"],
            "city": row["city"],
            "country": row["country"],
            "lat": float(lat),
            "lon": float(lon),
        }
        selected.append(corrected(item))
    missing = sorted(set(HUBS) - {a["iata"] for a in selected} - set(EXCLUDED))
    if missing:
        raise SystemExit(f"hubs missing from airportsdata: {missing}")
    version = metadata.version("airportsdata")
    return {
        "source": f"airportsdata {version} (PyPI, MIT licence, "
        "https://github.com/mborsetti/airportsdata): iata, name_en (package 'name'), city, "
        "country, lat, lon. name_zh and city_zh added, damaged names and wrong cities corrected "
        "by Tanhui (NAME_EN_FIXES, CITY_FIXES in the build script).",
        "licence": "MIT (airportsdata); see the package's LICENSE",
        "generated_by": "scripts/build_factor_set.py --airports",
        "selection": "all country=CN entries with an IATA code, except air bases, sites under "
        "construction and the entries in 'excluded'; plus the international hubs listed in "
        "the build script",
        "excluded": EXCLUDED,
        "caveats": CAVEATS,
        "airports": selected,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reference", nargs="?", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--check", action="store_true", help="verify, write nothing")
    parser.add_argument("--airports", action="store_true", help="rebuild airports.json")
    args = parser.parse_args(argv)
    if args.airports:
        return (
            0 if write_or_check(DATA / "airports.json", dump(build_airports()), args.check) else 1
        )
    factor_set, provinces = build(load_reference(args.reference))
    ok = write_or_check(DATA / "factors" / f"{VERSION}.json", dump(factor_set), args.check)
    ok = write_or_check(DATA / "provinces.json", dump(provinces), args.check) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
