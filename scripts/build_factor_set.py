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


def build_airports() -> dict[str, Any]:
    """All mainland-China IATA airports of ``airportsdata`` (less closed fields, air bases
    and sites under construction) plus the international hubs in HUBS."""
    from importlib import metadata

    import airportsdata  # build-time dependency only

    names_zh = dict(item.split(" ", 1) for item in NAMES_ZH.replace("\n", "|").split("|") if item)
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
        item: dict[str, Any] = {"iata": iata}
        if iata in names_zh:
            item["name_zh"] = names_zh[iata]
        item.update(
            name_en=row["name"],
            city=row["city"],
            country=row["country"],
            lat=float(lat),
            lon=float(lon),
        )
        selected.append(item)
    missing = sorted(set(HUBS) - {a["iata"] for a in selected} - set(EXCLUDED))
    if missing:
        raise SystemExit(f"hubs missing from airportsdata: {missing}")
    version = metadata.version("airportsdata")
    return {
        "source": f"airportsdata {version} (PyPI, MIT licence, "
        "https://github.com/mborsetti/airportsdata): iata, name_en (package 'name'), city, "
        "country, lat, lon. name_zh added by Tanhui where well established.",
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
