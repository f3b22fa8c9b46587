"""Read-only questions about memorial sites, their species and plots."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from webapp.localtime import local_date
from webapp.models import MemorialSite, Plot, PlotStatus, PlotUpdate, SiteSpecies, User
from webapp.services.footprint.factors import load_factor_set

TONNES = Decimal("0.01")


def public_sites(session: Session) -> list[MemorialSite]:
    return list(session.scalars(select(MemorialSite).order_by(MemorialSite.code)))


def site_by_code(session: Session, code: str) -> MemorialSite | None:
    if not code or len(code) > 16:
        return None
    return session.scalar(select(MemorialSite).where(MemorialSite.code == code.upper()))


def site_species(session: Session, site: MemorialSite) -> list[SiteSpecies]:
    return list(
        session.scalars(
            select(SiteSpecies).where(SiteSpecies.site_id == site.id).order_by(SiteSpecies.id)
        )
    )


def site_plots(session: Session, site: MemorialSite) -> list[Plot]:
    return list(
        session.scalars(
            select(Plot)
            .where(Plot.site_id == site.id)
            .options(selectinload(Plot.species))
            .order_by(Plot.code)
        )
    )


def plot_by_code(session: Session, site: MemorialSite, code: str) -> Plot | None:
    if not code or len(code) > 16:
        return None
    return session.scalar(
        select(Plot)
        .where(Plot.site_id == site.id, Plot.code == code.upper())
        .options(
            selectinload(Plot.species),
            selectinload(Plot.updates).selectinload(PlotUpdate.photos),
        )
    )


def plots_by_codes(session: Session, site: MemorialSite, codes: Iterable[str]) -> list[Plot]:
    wanted = sorted({c.strip().upper() for c in codes if c.strip()})
    if not wanted:
        return []
    return list(
        session.scalars(
            select(Plot).where(Plot.site_id == site.id, Plot.code.in_(wanted)).order_by(Plot.id)
        )
    )


def plots_held_by(session: Session, holder_ref: str) -> list[Plot]:
    return list(
        session.scalars(select(Plot).where(Plot.holder_ref == holder_ref).order_by(Plot.id))
    )


def plots_sponsored_by(session: Session, user: User) -> list[Plot]:
    """A sponsor's plots (their contribution, not an offset), newest sponsorship first."""
    return list(
        session.scalars(
            select(Plot)
            .where(Plot.sponsor_user_id == user.id)
            .options(selectinload(Plot.site), selectinload(Plot.species))
            .order_by(Plot.sponsored_at.desc(), Plot.id)
        )
    )


@dataclass(frozen=True)
class SiteSummary:
    total: int = 0
    available: int = 0
    sponsored: int = 0


def site_summaries(session: Session) -> dict[int, SiteSummary]:
    counts: dict[int, Counter[PlotStatus]] = {}
    for site_id, status, n in session.execute(
        select(Plot.site_id, Plot.status, func.count()).group_by(Plot.site_id, Plot.status)
    ):
        counts.setdefault(site_id, Counter())[status] = n
    return {
        site_id: SiteSummary(
            total=sum(c.values()),
            available=c[PlotStatus.AVAILABLE],
            sponsored=sum(n for s, n in c.items() if s not in _OPEN),
        )
        for site_id, c in counts.items()
    }


_OPEN = (PlotStatus.AVAILABLE, PlotStatus.RESERVED)


def status_counts(plots: Sequence[Plot]) -> dict[PlotStatus, int]:
    counter = Counter(p.status for p in plots)
    return {status: counter[status] for status in PlotStatus}


@dataclass(frozen=True)
class Citation:
    """What a reader is shown for a species' rate: the publication and its status."""

    text: str
    url: str | None
    verification: str


def citation(species: SiteSpecies) -> Citation:
    """The citation of a species' rate, read from the factor set it was taken from.

    The row's own ``source`` copy is kept as stored; rows made before citations existed
    hold the compiled source text, so the factor set is the one place pages read from."""
    try:
        factor = load_factor_set(species.factor_set).get(species.factor_id)
    except LookupError:  # a factor set no longer shipped: say what was stored, unverified
        return Citation(species.source, species.source_url, "UNVERIFIED")
    return Citation(factor.citation, factor.link, factor.verification)


def citations(species: Sequence[SiteSpecies]) -> dict[int, Citation]:
    return {s.id: citation(s) for s in species}


@dataclass(frozen=True)
class Projection:
    """Expected (ex-ante) sequestration of a plot: never a measured quantity."""

    rate_t_per_mu_year: Decimal
    area_mu: Decimal
    t_per_year: Decimal
    years: int
    total_t: Decimal
    first_year: int | None  # None until the plot is planted
    last_year: int | None
    factor_set: str
    factor_id: str
    source: str  # the rate's citation (see :func:`citation`)
    source_url: str | None
    verification: str
    # Plots alive (issue 18): the share of the planted trees alive at the last inspection
    # (None: no count yet, or the plot's planted trees are unknown); the area counted is
    # the plot's area times that share.
    alive_share: Decimal | None = None
    area_alive_mu: Decimal | None = None


def projection(plot: Plot) -> Projection | None:
    """rate (t/mu/yr, sourced) × area (mu) × share of trees alive at the last inspection;
    None for plots counted only in trees."""
    species = plot.species
    if plot.area_mu is None or species is None:
        return None
    share = alive(plot).share
    area = plot.area_mu if share is None else (plot.area_mu * share)
    per_year = (species.rate_t_per_mu_year * area).quantize(TONNES, ROUND_HALF_UP)
    total = (species.rate_t_per_mu_year * area * species.projection_years).quantize(
        TONNES, ROUND_HALF_UP
    )
    first = plot.planted_on.year if plot.planted_on else None
    cited = citation(species)
    return Projection(
        rate_t_per_mu_year=species.rate_t_per_mu_year,
        area_mu=plot.area_mu,
        t_per_year=per_year,
        years=species.projection_years,
        total_t=total,
        first_year=first,
        last_year=first + species.projection_years - 1 if first is not None else None,
        factor_set=species.factor_set,
        factor_id=species.factor_id,
        source=cited.text,
        source_url=cited.url,
        verification=cited.verification,
        alive_share=share,
        area_alive_mu=None if share is None else area.quantize(TONNES, ROUND_HALF_UP),
    )


def latest_survival(plot: Plot) -> tuple[int, date] | None:
    """The most recent survival count a ranger reported, with its date."""
    for update in plot.updates:  # newest first
        if update.survival_count is not None:
            return update.survival_count, local_date(update.created_at)
    return None


# --- plots alive (issue 18) -------------------------------------------------------------


@dataclass(frozen=True)
class Alive:
    """Trees of a plot: planted, alive at the last inspection (and its date), replanted."""

    planted: int | None
    alive: int | None
    counted_on: date | None
    replanted: int

    @property
    def share(self) -> Decimal | None:
        """Alive ÷ planted (at most 1), when both are known."""
        if self.alive is None or not self.planted:
            return None
        return min(Decimal(1), Decimal(self.alive) / Decimal(self.planted))


def alive(plot: Plot) -> Alive:
    survival = latest_survival(plot)
    replanted = sum(u.replanted_count or 0 for u in plot.updates)
    planted = plot.tree_count if plot.planted_on is not None else None
    return Alive(
        planted=planted,
        alive=survival[0] if survival else None,
        counted_on=survival[1] if survival else None,
        replanted=replanted,
    )


@dataclass(frozen=True)
class SiteFigures:
    """A site's public figures: trees planted, alive at the last inspection of each plot
    (a plot never counted counts as planted), replanted; projected t CO₂e per year of its
    planted plots, each scaled by its trees alive."""

    trees_planted: int
    trees_alive: int
    trees_replanted: int
    plots_counted: int
    projected_t_per_year: Decimal


def site_figures(plots: Sequence[Plot]) -> SiteFigures:
    planted = alive_total = replanted = counted = 0
    per_year = Decimal(0)
    for plot in plots:
        if plot.planted_on is None:
            continue
        a = alive(plot)
        planted += a.planted or 0
        replanted += a.replanted
        if a.alive is not None:
            counted += 1
            alive_total += a.alive
        else:
            alive_total += a.planted or 0
        p = projection(plot)
        if p is not None:
            per_year += p.t_per_year
    return SiteFigures(planted, alive_total, replanted, counted, per_year)
