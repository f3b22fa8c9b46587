"""Demonstration content for `flask demo-data`.

Places follow the municipal forestry-sink programmes Tanhui serves (泰安, 广德, 滁州, 丽水).
Figures such as areas are illustrative and every record is flagged ``is_demo`` so pages say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import (
    MemorialSite,
    ProjectStatus,
    ProjectType,
    Role,
    SinkInstrument,
    SinkProject,
    User,
)
from webapp.services import accounts

# (e-mail, password, role) — printed by `make run`; never loaded in production.
DEMO_ACCOUNTS: list[tuple[str, str, str]] = [
    ("admin@tanhui.local", "demo-admin-2026", "admin"),
    ("checker@tanhui.local", "demo-checker-2026", "admin"),
    ("resident@tanhui.local", "demo-resident-2026", "resident"),
    ("organiser@tanhui.local", "demo-organiser-2026", "organiser"),
    ("ranger@tanhui.local", "demo-ranger-2026", "ranger"),
]
_NAMES = {
    "admin@tanhui.local": "林业局管理员",
    "checker@tanhui.local": "复核管理员",
    "resident@tanhui.local": "王小林",
    "organiser@tanhui.local": "泰山论坛组委会",
    "ranger@tanhui.local": "徂徕山护林员",
}

PROJECTS: list[dict[str, Any]] = [
    {
        "code": "TA-CLS",
        "name_zh": "泰安徂徕山林场造林碳汇项目",
        "name_en": "Culai Mountain Forest Farm Afforestation, Tai'an",
        "type": ProjectType.AFFORESTATION,
        "instrument": SinkInstrument.CCER,
        "province": "CN-SD",
        "city_zh": "泰安市",
        "city_en": "Tai'an",
        "county_zh": "岱岳区",
        "county_en": "Daiyue District",
        "latitude": Decimal("36.030000"),
        "longitude": Decimal("117.300000"),
        "area_mu": Decimal("12000.00"),
        "developer_zh": "山东省徂徕山林场",
        "developer_en": "Culai Mountain State Forest Farm",
        "methodology": "CCER-14-001-V01 造林碳汇",
        "crediting_start": date(2024, 1, 1),
        "crediting_end": date(2043, 12, 31),
        "description_zh": "在徂徕山荒山宜林地营造侧柏、黄连木等乡土树种混交林，增加森林碳汇。",
        "description_en": "Mixed native-species planting (Chinese arborvitae, pistache) on "
        "barren hillsides of Culai Mountain to build forest carbon sinks.",
    },
    {
        "code": "GD-BMB",
        "name_zh": "广德竹林经营碳汇项目",
        "name_en": "Guangde Bamboo Forest Management",
        "type": ProjectType.BAMBOO,
        "instrument": SinkInstrument.CARBON_PUHUI,
        "province": "CN-AH",
        "city_zh": "宣城市",
        "city_en": "Xuancheng",
        "county_zh": "广德市",
        "county_en": "Guangde",
        "latitude": Decimal("30.890000"),
        "longitude": Decimal("119.420000"),
        "area_mu": Decimal("8000.00"),
        "developer_zh": "广德市林业发展中心",
        "developer_en": "Guangde Forestry Development Centre",
        "methodology": "AR-CM-005-V01 竹林经营碳汇项目方法学",
        "crediting_start": date(2023, 1, 1),
        "crediting_end": date(2042, 12, 31),
        "description_zh": "通过科学采伐、留笋养竹和施肥管理，提升毛竹林的碳储量。",
        "description_en": "Improved harvesting, shoot retention and nutrient management raise the "
        "carbon stock of moso bamboo stands.",
    },
    {
        "code": "CZ-LPT",
        "name_zh": "滁州林业碳票（琅琊山片区）",
        "name_en": "Chuzhou Forestry Carbon Ticket (Langya Mountain)",
        "type": ProjectType.FOREST_MANAGEMENT,
        "instrument": SinkInstrument.FORESTRY_TICKET,
        "province": "CN-AH",
        "city_zh": "滁州市",
        "city_en": "Chuzhou",
        "county_zh": "琅琊区",
        "county_en": "Langya District",
        "latitude": Decimal("32.290000"),
        "longitude": Decimal("118.290000"),
        "area_mu": Decimal("5000.00"),
        "developer_zh": "滁州市林业局",
        "developer_en": "Chuzhou Forestry Bureau",
        "methodology": "林业碳票碳减排量计量方法",
        "crediting_start": date(2022, 1, 1),
        "crediting_end": date(2031, 12, 31),
        "description_zh": "以林业碳票形式确权的森林年度净固碳量，用于本地碳普惠与生态补偿。",
        "description_en": "Annual net forest sequestration certified as forestry carbon tickets for "
        "local carbon-inclusion and ecological compensation.",
    },
    {
        "code": "LS-FM",
        "name_zh": "丽水森林经营碳汇项目",
        "name_en": "Lishui Forest Management",
        "type": ProjectType.FOREST_MANAGEMENT,
        "instrument": SinkInstrument.CCER,
        "province": "CN-ZJ",
        "city_zh": "丽水市",
        "city_en": "Lishui",
        "county_zh": "遂昌县",
        "county_en": "Suichang County",
        "latitude": Decimal("28.590000"),
        "longitude": Decimal("119.270000"),
        "area_mu": Decimal("20000.00"),
        "developer_zh": "丽水市生态林业发展中心",
        "developer_en": "Lishui Ecological Forestry Centre",
        "methodology": "AR-CM-003-V01 森林经营碳汇项目方法学",
        "crediting_start": date(2021, 1, 1),
        "crediting_end": date(2040, 12, 31),
        "description_zh": "通过抚育间伐、补植和林分改造，提高杉木、马尾松林的生长量和碳汇能力。",
        "description_en": "Thinning, enrichment planting and stand conversion increase growth and "
        "carbon uptake of Chinese fir and Masson pine forests.",
    },
]

SITES: list[dict[str, Any]] = [
    {
        "code": "CLS-JN",
        "name_zh": "徂徕山碳汇林纪念基地",
        "name_en": "Culai Mountain Carbon-Sink Memorial Forest",
        "operator_zh": "山东省徂徕山林场",
        "operator_en": "Culai Mountain State Forest Farm",
        "province": "CN-SD",
        "county_zh": "泰安市岱岳区",
        "county_en": "Daiyue District, Tai'an",
        "latitude": Decimal("36.028000"),
        "longitude": Decimal("117.296000"),
        "description_zh": "为出生、婚礼、毕业和纪念而认建认养的碳汇林，每块林地都有编号铭牌。",
        "description_en": "A carbon-sink forest where families and companies sponsor numbered plots "
        "for a birth, a wedding, a graduation or a memory.",
        "visiting_zh": "从泰安市区沿徂徕山旅游公路约 40 分钟；山上无手机信号，请提前下载证书。",
        "visiting_en": "About 40 minutes from Tai'an city by the Culai Mountain road. There is no "
        "phone signal on the mountain: download your certificate beforehand.",
        "planting_seasons_zh": "春季（3–4 月）、秋季（10–11 月）",
        "planting_seasons_en": "Spring (March–April) and autumn (October–November)",
        "boundary": [[0, 0], [240, 0], [240, 160], [0, 160]],
    }
]


# Demo issuances: quantities from area × a sourced sequestration rate
# (forest.project.suichuan.per_mu, 0.5714 t/mu/yr), prices from sourced market figures
# (price.ccer.forestry_presale ¥100/t; price.carbon_ticket.jiangle.cross_province ¥15/t).
ISSUANCES: dict[str, list[dict[str, Any]]] = {
    "TA-CLS": [
        {
            "vintage": 2024,
            "quantity_kg": 6_857_000,
            "price": "100.00",
            "delivery": "verified",
            "note": "12,000 mu × 0.5714 t/mu/yr (forest.project.suichuan.per_mu); price per "
            "price.ccer.forestry_presale",
        },
        {
            "vintage": 2027,
            "quantity_kg": 6_857_000,
            "price": "100.00",
            "delivery": "projected",
            "expected": (2027, 2027),
            "note": "Ex-ante: expected sequestration of the 2027 growing season",
        },
    ],
    "GD-BMB": [
        {
            "vintage": 2023,
            "quantity_kg": 4_571_000,
            "price": "100.00",
            "delivery": "verified",
            "note": "8,000 mu × 0.5714 t/mu/yr; price per price.ccer.forestry_presale",
        },
    ],
    "CZ-LPT": [
        {
            "vintage": 2023,
            "quantity_kg": 3_979_000,
            "price": "15.00",
            "delivery": "verified",
            "note": "5,000 mu × 0.7959 t/mu/yr (forest.project.sanming.per_mu); price per "
            "price.carbon_ticket.jiangle.cross_province",
        },
    ],
    "LS-FM": [
        {
            "vintage": 2022,
            "quantity_kg": 11_428_000,
            "price": "100.00",
            "delivery": "verified",
            "note": "20,000 mu × 0.5714 t/mu/yr; price per price.ccer.forestry_presale",
        },
    ],
}
# (project, kg, beneficiary, privacy, purpose, detail, case, court)
RETIREMENTS: list[tuple[str, int, str, str, str, str, str, str]] = [
    ("TA-CLS", 2_417, "王小林", "full", "household_year", "2025", "", ""),
    ("TA-CLS", 12_500, "泰山论坛组委会", "full", "event", "2026 泰山低碳论坛", "", ""),
    ("GD-BMB", 1_200, "李梅", "initials", "gift", "", "", ""),
    ("LS-FM", 3_000, "匿名居民", "anonymous", "household_year", "2025", "", ""),
    (
        "CZ-LPT",
        20_000,
        "某建材公司",
        "full",
        "judicial_restoration",
        "",
        "(2025)皖1102刑初88号",
        "滁州市琅琊区人民法院",
    ),
]


@dataclass
class DemoReport:
    created: int = 0
    existing: int = 0


def load(session: Session) -> DemoReport:
    """Insert what is missing; leave what exists untouched (idempotent)."""
    report = DemoReport()
    for email, password, role in DEMO_ACCOUNTS:
        if accounts.find_by_email(session, email) is not None:
            report.existing += 1
            continue
        accounts.register(
            session, email=email, password=password, display_name=_NAMES[email], role=Role(role)
        )
        report.created += 1
    for data in PROJECTS:
        if session.scalar(select(SinkProject).where(SinkProject.code == data["code"])):
            report.existing += 1
            continue
        session.add(SinkProject(**data, status=ProjectStatus.ACTIVE, is_demo=True))
        report.created += 1
    for data in SITES:
        if session.scalar(select(MemorialSite).where(MemorialSite.code == data["code"])):
            report.existing += 1
            continue
        session.add(MemorialSite(**data, is_demo=True))
        report.created += 1
    session.flush()
    _load_registry(session, report)
    _load_loss(session, report)
    from webapp.services.plots import demo as plot_demo

    plot_demo.load(session, report)
    from webapp.services.events import demo as event_demo

    event_demo.load(session, report)
    return report


def _load_registry(session: Session, report: DemoReport) -> None:
    from datetime import timedelta

    from webapp.models import Delivery, Issuance, IssuanceStatus, Privacy, Purpose
    from webapp.services.registry import allocation, issuance

    maker = accounts.find_by_email(session, "admin@tanhui.local")
    checker = accounts.find_by_email(session, "checker@tanhui.local")
    for code, batches in ISSUANCES.items():
        project = session.scalar(select(SinkProject).where(SinkProject.code == code))
        if session.scalar(select(Issuance).where(Issuance.project_id == project.id)):
            report.existing += len(batches)
            continue
        for b in batches:
            expected = b.get("expected", (None, None))
            draft = issuance.IssuanceDraft(
                vintage=b["vintage"],
                period_start=date(b["vintage"], 1, 1),
                period_end=date(b["vintage"], 12, 31),
                quantity_kg=b["quantity_kg"],
                price_per_tonne=Decimal(b["price"]),
                delivery=Delivery(b["delivery"]),
                expected_from=expected[0],
                expected_to=expected[1],
                note=b["note"],
            )
            item = issuance.draft(session, project, draft, actor=maker)
            issuance.approve(session, item, actor=checker)
            issuance.set_status(session, item, IssuanceStatus.ON_SALE, actor=checker)
            report.created += 1
    for i, (code, kg, name, privacy, purpose, detail, case, court) in enumerate(RETIREMENTS):
        ref = f"demo-retirement-{i}"
        if allocation.find_by_holder(session, ref) is not None:
            report.existing += 1
            continue
        project = session.scalar(select(SinkProject).where(SinkProject.code == code))
        held = allocation.reserve(session, project, kg, ref, hold=timedelta(minutes=30))
        allocation.retire(
            session,
            held,
            allocation.Beneficiary(
                name=name,
                privacy=Privacy(privacy),
                purpose=Purpose(purpose),
                purpose_detail=detail,
                case_number=case,
                court=court,
            ),
        )
        report.created += 1


# A demonstration loss (issue 18): pine wilt in the demo forest-management project, covered
# from its buffer pool (its delivered issuance withheld 20 % at approval).
DEMO_LOSS = {
    "project": "LS-FM",
    "cause": "pests",
    "occurred_on": date(2025, 9, 10),
    "area_ha": Decimal("12.00"),
    "estimated_t": Decimal("35"),
    "note": "松材线虫病：疫木已清理，拟于明春补植。",
}


def _load_loss(session: Session, report: DemoReport) -> None:
    from webapp.models import Loss, LossCause
    from webapp.services.registry import losses

    project = session.scalar(select(SinkProject).where(SinkProject.code == DEMO_LOSS["project"]))
    if session.scalar(select(Loss).where(Loss.project_id == project.id)) is not None:
        report.existing += 1
        return
    loss = losses.report(
        session,
        project,
        losses.LossReport(
            cause=LossCause(DEMO_LOSS["cause"]),
            occurred_on=DEMO_LOSS["occurred_on"],
            area_ha=DEMO_LOSS["area_ha"],
            estimated_t=DEMO_LOSS["estimated_t"],
            note=DEMO_LOSS["note"],
        ),
        [],
        actor=accounts.find_by_email(session, "ranger@tanhui.local"),
    )
    losses.confirm(session, loss, actor=accounts.find_by_email(session, "checker@tanhui.local"))
    report.created += 1


# The demo certificate: the retirement for 王小林's 2025 household footprint (RETIREMENTS[0]),
# held by the demo resident, so a newcomer can open /v/<id> and scan its PDF at once.
DEMO_CERTIFICATE_RETIREMENT = "demo-retirement-0"
DEMO_CERTIFICATE_OWNER = "resident@tanhui.local"


def load_certificate(session: Session, key: Any, report: DemoReport) -> Any:
    """Issue the demo offset certificate once (idempotent); None without its retirement."""
    from webapp.models import Certificate
    from webapp.services.certificates import issuing
    from webapp.services.certificates.token import CertificateKind
    from webapp.services.registry import allocation

    held = allocation.find_by_holder(session, DEMO_CERTIFICATE_RETIREMENT)
    if held is None or held.retirement_entry_seq is None:
        return None
    existing = session.scalar(
        select(Certificate).where(
            Certificate.allocation_id == held.id, Certificate.parent_id.is_(None)
        )
    )
    if existing is not None:
        report.existing += 1
        return existing
    report.created += 1
    return issuing.issue(
        session,
        key=key,
        kind=CertificateKind.OFFSET,
        holder_name=held.beneficiary_name or "",
        privacy=held.privacy,
        locale="zh_CN",
        owner=accounts.find_by_email(session, DEMO_CERTIFICATE_OWNER),
        quantity_kg=held.quantity_kg,
        allocation_id=held.id,
    )


__all__ = ["DEMO_ACCOUNTS", "DemoReport", "User", "load", "load_certificate"]
