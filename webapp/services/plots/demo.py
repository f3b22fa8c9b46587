"""Demonstration plots for `flask demo-data`: species and 24 plots at the demo site CLS-JN.

Idempotent: what exists is left untouched. Everything is flagged ``is_demo`` (the site
too), and pages and plaques say so. Sponsorships go through the same services as real
ones (reserve → sponsor → ranger updates), so the ledger and the audit log show them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.localtime import local_date
from webapp.models import (
    DedicationKind,
    MemorialSite,
    Plot,
    PlotUpdateKind,
    Privacy,
    SiteSpecies,
)
from webapp.models.base import utcnow
from webapp.models.plots import SPONSORED_STATUSES
from webapp.services import accounts
from webapp.services.plots import catalogue, rangers, reservations

DEMO_SITE = "CLS-JN"
DEMO_RANGER = "ranger@tanhui.local"
DEMO_ADMIN = "admin@tanhui.local"
RATE_FACTOR = "forest.project.suichuan.per_mu"
_NOTE_ZH = (
    "固碳速率取自真实造林碳汇 CCER 项目（江西遂川，乡土树种混交）的年均值，适用于本基地所有树种；"
    "现有已核实资料中没有分树种的每亩速率。"
)
_NOTE_EN = (
    "The rate is the annual average of a real afforestation CCER project (Suichuan, Jiangxi; "
    "mixed native species), used for every species here: the sourced factor set has no "
    "species-specific rate per mu."
)
SPECIES: list[dict[str, str]] = [
    {
        "code": "arborvitae",
        "name_zh": "侧柏",
        "name_en": "Chinese arborvitae",
        "scientific_name": "Platycladus orientalis",
        "planting_seasons_zh": "春季（3–4 月）",
        "planting_seasons_en": "Spring (March–April)",
    },
    {
        "code": "pistache",
        "name_zh": "黄连木",
        "name_en": "Chinese pistache",
        "scientific_name": "Pistacia chinensis",
        "planting_seasons_zh": "春季（3–4 月）、秋季（10–11 月）",
        "planting_seasons_en": "Spring (March–April) and autumn (October–November)",
    },
    {
        "code": "oak",
        "name_zh": "麻栎",
        "name_en": "Sawtooth oak",
        "scientific_name": "Quercus acutissima",
        "planting_seasons_zh": "秋季（10–11 月）",
        "planting_seasons_en": "Autumn (October–November)",
    },
]

ROWS = "ABCD"  # A is the northern row
COLUMNS = 6
PLOT_W, PLOT_H, GAP_X, GAP_Y, X0, Y0 = 34, 32, 4, 6, 8, 7
AREA_MU = Decimal("1.6")  # 34 m × 32 m = 1,088 m² ≈ 1.6 mu
TREES = 160
PRICE = Decimal("800.00")  # illustrative demo price


@dataclass(frozen=True)
class Story:
    sponsor: str  # demo account e-mail
    name: str
    privacy: Privacy
    dedication: DedicationKind
    message: str
    updates: tuple[tuple[PlotUpdateKind, int, int | None, str], ...] = ()  # kind, days ago


_TREE_NOTE_ZH = "成活良好，已除草、扩穴。"
STORIES: dict[str, Story | str] = {
    "A-01": Story(
        "resident@tanhui.local",
        "王小林",
        Privacy.FULL,
        DedicationKind.BIRTH,
        "欢迎你来到这个世界，小禾。",
        (
            (PlotUpdateKind.PLANTED, 230, 160, "春季造林，侧柏两年生容器苗。"),
            (PlotUpdateKind.INSPECTED, 60, 152, _TREE_NOTE_ZH),
        ),
    ),
    "A-02": Story(
        "resident@tanhui.local",
        "李梅",
        Privacy.INITIALS,
        DedicationKind.WEDDING,
        "愿我们的爱像这片林子一样长青。",
        ((PlotUpdateKind.PLANTED, 228, 160, "Planted with two-year container seedlings."),),
    ),
    "A-03": Story(
        "resident@tanhui.local",
        "张建国",
        Privacy.ANONYMOUS,
        DedicationKind.MEMORIAL,
        "纪念外公，他一生爱树。",
        (
            (PlotUpdateKind.PLANTED, 226, 160, ""),
            (PlotUpdateKind.FAILED, 120, 31, "夏季干旱，成活率低，秋季补植。"),
            (PlotUpdateKind.REPLANTED, 25, 160, "秋季补植麻栎。"),
        ),
    ),
    "A-04": Story(
        "organiser@tanhui.local",
        "泰山论坛组委会",
        Privacy.FULL,
        DedicationKind.COMPANY,
        "2026 泰山低碳论坛 · 零碳会议纪念林",
        (
            (PlotUpdateKind.PLANTED, 225, 160, ""),
            (PlotUpdateKind.INSPECTED, 58, 149, _TREE_NOTE_ZH),
        ),
    ),
    "B-01": Story(
        "resident@tanhui.local",
        "Chen Yu",
        Privacy.INITIALS,
        DedicationKind.GRADUATION,
        "Forestry class of 2026 — we planted our first forest.",
        ((PlotUpdateKind.PLANTED, 200, 160, ""),),
    ),
    "B-02": Story(
        "organiser@tanhui.local",
        "泰山论坛组委会",
        Privacy.FULL,
        DedicationKind.COMPANY,
        "",
        ((PlotUpdateKind.PLANTED, 200, 160, ""), (PlotUpdateKind.INSPECTED, 40, 157, "")),
    ),
    "B-03": Story(
        "resident@tanhui.local",
        "王小林",
        Privacy.FULL,
        DedicationKind.OTHER,
        "给十年后的自己。",
        ((PlotUpdateKind.PLANTED, 190, 160, ""),),
    ),
    "C-01": Story(
        "resident@tanhui.local",
        "王小林",
        Privacy.FULL,
        DedicationKind.BIRTH,
        "欢迎小满！",
    ),
    "C-02": Story(
        "resident@tanhui.local",
        "刘芳",
        Privacy.ANONYMOUS,
        DedicationKind.MEMORIAL,
        "",
    ),
    "C-03": Story(
        "organiser@tanhui.local",
        "泰山论坛组委会",
        Privacy.FULL,
        DedicationKind.COMPANY,
        "员工义务植树日",
    ),
    "C-04": Story(
        "resident@tanhui.local",
        "李梅",
        Privacy.INITIALS,
        DedicationKind.WEDDING,
        "",
    ),
    "D-01": "reserved",
}


def _species_for(row: str, column: int) -> str:
    return SPECIES[(ROWS.index(row) + column) % len(SPECIES)]["code"]


def _polygon(row: str, column: int) -> list[list[float]]:
    x = X0 + column * (PLOT_W + GAP_X)
    y = Y0 + (len(ROWS) - 1 - ROWS.index(row)) * (PLOT_H + GAP_Y)
    return [[x, y], [x + PLOT_W, y], [x + PLOT_W, y + PLOT_H], [x, y + PLOT_H]]


class _Report(Protocol):
    created: int
    existing: int


def load(session: Session, report: _Report, *, now: datetime | None = None) -> None:
    """Species, 24 plots with their stories, and the demo ranger's assignment."""
    now = now or utcnow()
    site = session.scalar(select(MemorialSite).where(MemorialSite.code == DEMO_SITE))
    if site is None:
        return
    admin = accounts.find_by_email(session, DEMO_ADMIN)
    ranger = accounts.find_by_email(session, DEMO_RANGER)
    if ranger is not None and admin is not None:
        if rangers.is_assigned(session, ranger, site):
            report.existing += 1
        else:
            rangers.assign(session, ranger, site, actor=admin)
            report.created += 1
    species: dict[str, SiteSpecies] = {}
    for data in SPECIES:
        found = session.scalar(
            select(SiteSpecies).where(
                SiteSpecies.site_id == site.id, SiteSpecies.code == data["code"]
            )
        )
        if found is None:
            found = catalogue.add_species(
                session, site, factor_id=RATE_FACTOR, note_zh=_NOTE_ZH, note_en=_NOTE_EN, **data
            )
            report.created += 1
        else:
            report.existing += 1
        species[data["code"]] = found
    for row in ROWS:
        for column in range(COLUMNS):
            code = f"{row}-{column + 1:02d}"
            if session.scalar(select(Plot.id).where(Plot.site_id == site.id, Plot.code == code)):
                report.existing += 1
                continue
            plot = catalogue.add_plot(
                session,
                site,
                code=code,
                species=species[_species_for(row, column)],
                price=PRICE,
                polygon=_polygon(row, column),
                area_mu=AREA_MU,
                tree_count=TREES,
                is_demo=True,
            )
            _tell(session, plot, STORIES.get(code), ranger, now)
            report.created += 1


def _tell(
    session: Session, plot: Plot, story: Story | str | None, ranger: Any, now: datetime
) -> None:
    if story is None:
        return
    ref = f"demo-plot-{plot.site.code}-{plot.code}"
    if story == "reserved":
        reservations.reserve(session, [plot], ref, timedelta(days=7), now)
        return
    assert isinstance(story, Story)
    first = now - timedelta(days=(story.updates[0][1] + 14) if story.updates else 20)
    reservations.reserve(session, [plot], ref, timedelta(minutes=30), first)
    reservations.sponsor(
        session,
        ref,
        user=accounts.find_by_email(session, story.sponsor),
        sponsor_name=story.name,
        privacy=story.privacy,
        dedication=story.dedication,
        message=story.message,
        locale="zh_CN",
        now=now,  # the ledger entry is written now; the story is dated in the past
    )
    plot.sponsored_at = first
    if ranger is None:
        return
    for kind, days_ago, survival, note in story.updates:
        rangers.record_update(
            session, plot, ranger, kind, survival, note, (), now=now - timedelta(days=days_ago)
        )


def load_certificates(session: Session, key: Any, report: _Report) -> list[Any]:
    """A plot certificate for each sponsored demo plot, once (idempotent), so the verify
    page and the rangers' scanner have real signed plot certificates to show."""
    from webapp.models import Certificate
    from webapp.services.certificates import issuing
    from webapp.services.certificates.token import CertificateKind

    site = session.scalar(select(MemorialSite).where(MemorialSite.code == DEMO_SITE))
    if site is None:
        return []
    issued = []
    plots = session.scalars(
        select(Plot)
        .where(Plot.site_id == site.id, Plot.status.in_(SPONSORED_STATUSES))
        .order_by(Plot.code)
    )
    for plot in plots:
        if session.scalar(select(Certificate.id).where(Certificate.plot_id == plot.id)):
            report.existing += 1
            continue
        issued.append(
            issuing.issue(
                session,
                key=key,
                kind=CertificateKind.PLOT,
                holder_name=plot.sponsor_name or "",
                privacy=plot.sponsor_privacy,
                locale=plot.sponsor_locale or "zh_CN",
                owner=plot.sponsor,
                plot_code=plot.code,
                plot_id=plot.id,
                issued_on=local_date(plot.sponsored_at) if plot.sponsored_at else None,
            )
        )
        report.created += 1
    return issued
